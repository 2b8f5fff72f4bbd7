import { z } from 'zod'
import { defineInsight } from '../../src/insights/define.ts'
import {
  DAY_MS,
  explainParam,
  flag,
  type Resolved,
  rangeParams,
  resolveRange,
  siteZone,
} from '../../src/insights/params.ts'
import { eventsWhere, windowParams } from '../../src/insights/predicates.ts'
import { compile, param, sql } from '../../src/sql/fragment.ts'

// A whole insight kind in one module, as docs/api.md ("Adding an insight kind") describes:
// registry.test.ts serves it next to the real kinds without touching any other file.

interface TopEventsSpec {
  site: string
  from: Date
  to: Date
  includeBots: boolean
  limit: number
  /** Only these event names; all when empty. */
  names: string[]
}

const names = z
  .union([z.array(z.string().min(1).max(200)).max(50), z.string().max(10_000)])
  .transform((v) => (typeof v === 'string' ? v.split(',').filter((n) => n !== '') : v))

export const topEvents = defineInsight({
  kind: 'top_events',
  summary: 'The most frequent event names in a range',
  params: z.strictObject({
    ...rangeParams,
    include_bots: flag.default(false),
    limit: z.coerce.number().int().min(1).max(100).default(10),
    names: names.optional(),
    ...explainParam,
  }),
  resolve(params, { site, now, timeZone }): Resolved<TopEventsSpec> {
    const range = resolveRange(params, now, 7 * DAY_MS, siteZone(timeZone))
    if (typeof range === 'string') return { refused: range }
    const only = params.names ?? []
    if (only.length > 50) return { refused: 'names: at most 50' }
    return { spec: { site, ...range, includeBots: params.include_bots, limit: params.limit, names: only } }
  },
  plan(spec) {
    const only =
      spec.names.length === 0 ? [] : [sql`has(${param('names', 'Array(String)', spec.names)}, event)`]
    return compile(sql`SELECT event, count() AS count
FROM events
WHERE ${eventsWhere(windowParams(spec), spec.includeBots, only)}
GROUP BY event
ORDER BY count DESC, event
LIMIT ${param('limit', 'UInt32', spec.limit)}`)
  },
  row: z.object({ event: z.string(), count: z.coerce.number().int() }),
  respond(spec, rows) {
    return { site: spec.site, from: spec.from.toISOString(), to: spec.to.toISOString(), events: rows }
  },
  response: z.object({
    site: z.string(),
    from: z.string(),
    to: z.string(),
    events: z.array(z.object({ event: z.string(), count: z.number().int() })),
  }),
})
