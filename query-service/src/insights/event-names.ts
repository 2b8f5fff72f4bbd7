import { EVENT_NAME_ALIASES } from '@sightline/contracts'
import { z } from 'zod'
import { compile, param, sql } from '../sql/fragment.ts'
import { defineInsight } from './define.ts'
import { DAY_MS, explainParam, flag, type Resolved, rangeParams, resolveRange, siteZone } from './params.ts'
import { eventsWhere, windowParams } from './predicates.ts'

export interface EventNamesSpec {
  site: string
  /** Inclusive. */
  from: Date
  /** Exclusive. */
  to: Date
  includeBots: boolean
  limit: number
}

export const MAX_EVENT_NAMES = 1_000

const isoInstant = z.string().describe('ISO 8601 instant, UTC')
const count = z.coerce.number().int().nonnegative()

export const EventNamesRowSchema = z.object({
  event: z.string(),
  count,
  /** DateTime64 text in UTC (`2030-05-01 11:00:00.000`). */
  first_seen: z.string(),
  last_seen: z.string(),
  /** The same on every row: the newest received_at over all names, not only those listed. */
  newest_received_at: z.string(),
})
export type EventNamesRow = z.output<typeof EventNamesRowSchema>

export const EventNamesResponseSchema = z.object({
  site: z.string(),
  from: isoInstant,
  to: isoInstant,
  include_bots: z.boolean(),
  events: z.array(
    z.object({
      name: z.string().describe('the name to use in queries (`event`, funnel steps…)'),
      stored_as: z.string().describe('the name in the events table and the SQL escape hatch'),
      count: z.number().int(),
      first_seen: isoInstant,
      last_seen: isoInstant,
    }),
  ),
  truncated: z.boolean().describe('more names exist than `limit`; the most frequent are listed'),
  newest_received_at: isoInstant
    .nullable()
    .describe(
      'when the edge received the newest stored event in the range (any name): now minus this bounds the end-to-end lag while events flow; null when there is none',
    ),
})
export type EventNamesResponse = z.output<typeof EventNamesResponseSchema>

// The reverse of the query-side aliases: `$pageview` is listed as `pageview`, its public name.
const PUBLIC_NAME = new Map(Object.entries(EVENT_NAME_ALIASES).map(([alias, stored]) => [stored, alias]))

/**
 * Which event names a site has, with counts and first/last seen: what a user needs before
 * asking for a trend or a funnel step by name. Asks for one row more than `limit` to tell
 * whether the list is complete. The newest `received_at` (the edge's stamp) rides along as a
 * window over all groups, so it is exact even when the list is cut: it is what the Ingestion
 * view measures the pipeline's lag with.
 */
export function planEventNames(spec: EventNamesSpec) {
  return compile(sql`SELECT
  event,
  count() AS count,
  min(ts) AS first_seen,
  max(ts) AS last_seen,
  max(max(received_at)) OVER () AS newest_received_at
FROM events
WHERE ${eventsWhere(windowParams(spec), spec.includeBots)}
GROUP BY event
ORDER BY count DESC, event
LIMIT ${param('limit', 'UInt32', spec.limit + 1)}`)
}

const utcInstant = (text: string) => `${text.replace(' ', 'T')}Z`

export const eventNames = defineInsight({
  kind: 'events',
  summary: 'The event names a site has, with counts and first/last seen',
  params: z.strictObject({
    ...rangeParams,
    include_bots: flag.default(false),
    limit: z.coerce.number().int().min(1).max(MAX_EVENT_NAMES).default(100),
    ...explainParam,
  }),
  resolve(params, { site, now, timeZone }): Resolved<EventNamesSpec> {
    const range = resolveRange(params, now, 30 * DAY_MS, siteZone(timeZone))
    if (typeof range === 'string') return { refused: range }
    return { spec: { site, ...range, includeBots: params.include_bots, limit: params.limit } }
  },
  plan: planEventNames,
  row: EventNamesRowSchema,
  respond(spec, rows): EventNamesResponse {
    return {
      site: spec.site,
      from: spec.from.toISOString(),
      to: spec.to.toISOString(),
      include_bots: spec.includeBots,
      events: rows.slice(0, spec.limit).map((r) => ({
        name: PUBLIC_NAME.get(r.event) ?? r.event,
        stored_as: r.event,
        count: r.count,
        first_seen: utcInstant(r.first_seen),
        last_seen: utcInstant(r.last_seen),
      })),
      truncated: rows.length > spec.limit,
      newest_received_at: rows[0] ? utcInstant(rows[0].newest_received_at) : null,
    }
  },
  response: EventNamesResponseSchema,
})
