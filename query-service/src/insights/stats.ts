import { z } from 'zod'
import { compile, sql } from '../sql/fragment.ts'
import { defineInsight } from './define.ts'
import { DAY_MS, explainParam, flag, type Resolved, rangeParams, resolveRange } from './params.ts'
import { eventsWhere, windowParams } from './predicates.ts'

export interface StatsSpec {
  site: string
  /** Inclusive. */
  from: Date
  /** Exclusive. */
  to: Date
  includeBots: boolean
}

const isoInstant = z.string().describe('ISO 8601 instant, UTC')
// UInt64 arrives as a JSON string; counts stay far below 2^53.
const count = z.coerce.number().int().nonnegative()

export const StatsRowSchema = z.object({ events: count, pageviews: count, visitors: count })
export type StatsRow = z.output<typeof StatsRowSchema>

export const StatsResponseSchema = z.object({
  site: z.string(),
  from: isoInstant,
  to: isoInstant,
  include_bots: z.boolean(),
  events: z.number().int(),
  pageviews: z.number().int(),
  visitors: z.number().int().describe('distinct persons: user_id when known, else anonymous_id'),
})
export type StatsResponse = z.output<typeof StatsResponseSchema>

/** Headline numbers for a site over [from, to): all events, pageviews, unique visitors. */
export function planStats(spec: StatsSpec) {
  return compile(sql`SELECT
  count() AS events,
  countIf(type = 'page') AS pageviews,
  uniqExact(person_id) AS visitors
FROM events
WHERE ${eventsWhere(windowParams(spec), spec.includeBots)}`)
}

export const stats = defineInsight({
  kind: 'stats',
  summary: 'Events, pageviews and unique visitors in a range',
  params: z.strictObject({ ...rangeParams, include_bots: flag.default(false), ...explainParam }),
  resolve(params, { site, now }): Resolved<StatsSpec> {
    const range = resolveRange(params, now, 7 * DAY_MS)
    if (typeof range === 'string') return { refused: range }
    return { spec: { site, ...range, includeBots: params.include_bots } }
  },
  plan: planStats,
  row: StatsRowSchema,
  respond(spec, rows): StatsResponse {
    const row = rows[0]
    return {
      site: spec.site,
      from: spec.from.toISOString(),
      to: spec.to.toISOString(),
      include_bots: spec.includeBots,
      events: row?.events ?? 0,
      pageviews: row?.pageviews ?? 0,
      visitors: row?.visitors ?? 0,
    }
  },
  response: StatsResponseSchema,
})
