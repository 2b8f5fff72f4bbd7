import { z } from 'zod'
import { type Fragment, join, type Param, param, type SqlValue, sql } from '../../sql/fragment.ts'
import rulesFile from './rules.json' with { type: 'json' }
import searchFile from './search-engines.json' with { type: 'json' }
import socialFile from './social-networks.json' with { type: 'json' }
import videoFile from './video-sites.json' with { type: 'json' }

/**
 * The default channel grouping (docs/metrics.md, "Channel"). The rules and the site lists are
 * data (the JSON files beside this module) so per-site overrides can later be another table of
 * the same shape; this module only checks that data and compiles it into one SQL expression
 * whose every value is a bound parameter.
 */

export const CHANNELS = [
  'direct',
  'organic search',
  'paid search',
  'organic social',
  'paid social',
  'email',
  'referral',
  'display',
  'affiliate',
  'video',
  'other',
] as const
export type Channel = (typeof CHANNELS)[number]

const SiteListSchema = z.object({
  description: z.string(),
  hosts: z.array(z.string().regex(/^[a-z0-9.-]+$/)),
  sources: z.array(z.string().regex(/^[a-z0-9._ -]+$/)),
})
export type SiteList = z.output<typeof SiteListSchema>

export const LIST_NAMES = ['search', 'social', 'video'] as const
export type ListName = (typeof LIST_NAMES)[number]

const lowerWords = z
  .array(
    z
      .string()
      .min(1)
      .regex(/^[^A-Z]+$/, 'lower-case'),
  )
  .min(1)
const ConditionSchema = z.strictObject({
  medium_in: lowerWords.optional(),
  medium_contains: lowerWords.optional(),
  source_in: lowerWords.optional(),
  source_or_referrer_in: z.enum(LIST_NAMES).optional(),
  no_source: z.literal(true).optional(),
  no_referrer: z.literal(true).optional(),
  has_referrer: z.literal(true).optional(),
})
export type Condition = z.output<typeof ConditionSchema>

const RulesSchema = z.object({
  description: z.string(),
  rules: z.array(
    z.object({
      channel: z.enum(CHANNELS).refine((c) => c !== 'other', 'other is the fallback, not a rule'),
      when: ConditionSchema.refine((c) => Object.keys(c).length > 0, 'a rule needs a condition'),
    }),
  ),
})
export type ChannelRules = z.output<typeof RulesSchema>

export const DEFAULT_RULES: ChannelRules = RulesSchema.parse(rulesFile)
export const DEFAULT_LISTS: Readonly<Record<ListName, SiteList>> = {
  search: SiteListSchema.parse(searchFile),
  social: SiteListSchema.parse(socialFile),
  video: SiteListSchema.parse(videoFile),
}

/** The attribution a visit is grouped by; each already lower-cased, referrer host without www. */
export interface ChannelInputs {
  source: SqlValue
  medium: SqlValue
  referrerHost: SqlValue
}

/**
 * Pure: compiles a rule table into `multiIf(rule₁, channel₁, …, 'other')`. Each list is bound
 * once as two arrays (sources, hosts) and reused by every rule naming it; a referrer matches
 * a listed host exactly or as a subdomain.
 */
export function channelExpression(
  inputs: ChannelInputs,
  rules: ChannelRules = DEFAULT_RULES,
  lists: Readonly<Record<ListName, SiteList>> = DEFAULT_LISTS,
): Fragment {
  const bound = new Map<ListName, { sources: Param; hosts: Param }>()
  const listParams = (name: ListName) => {
    let p = bound.get(name)
    if (p === undefined) {
      p = {
        sources: param(`${name}_sources`, 'Array(String)', lists[name].sources),
        hosts: param(`${name}_hosts`, 'Array(String)', lists[name].hosts),
      }
      bound.set(name, p)
    }
    return p
  }
  const { source, medium, referrerHost } = inputs
  const conditionSql = (when: Condition): Fragment => {
    const parts: Fragment[] = []
    if (when.no_source) parts.push(sql`(${source} = '' AND ${medium} = '')`)
    if (when.no_referrer) parts.push(sql`${referrerHost} = ''`)
    if (when.has_referrer) parts.push(sql`${referrerHost} != ''`)
    if (when.medium_in)
      parts.push(sql`has(${param('medium_in', 'Array(String)', when.medium_in)}, ${medium})`)
    if (when.medium_contains) {
      parts.push(
        sql`multiSearchAny(${medium}, ${param('medium_contains', 'Array(String)', when.medium_contains)})`,
      )
    }
    if (when.source_in)
      parts.push(sql`has(${param('source_in', 'Array(String)', when.source_in)}, ${source})`)
    if (when.source_or_referrer_in) {
      const { sources, hosts } = listParams(when.source_or_referrer_in)
      parts.push(
        sql`(has(${sources}, ${source}) OR arrayExists(h -> ${referrerHost} = h OR endsWith(${referrerHost}, concat('.', h)), ${hosts}))`,
      )
    }
    return join(parts, sql` AND `)
  }
  const arms = rules.rules.map(
    (rule) => sql`${conditionSql(rule.when)}, ${param('channel', 'String', rule.channel)}`,
  )
  return sql`multiIf(
  ${join(arms, sql`,\n  `)},
  ${param('channel', 'String', 'other')}
)`
}
