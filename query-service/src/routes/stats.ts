import { HttpError } from '@sightline/http'
import type { Handler } from 'hono'
import { z } from 'zod'
import { planStats, type StatsRow } from '../planner/index.ts'
import type { RouteDeps } from './deps.ts'
import { defaultSpan, resolveRange, StatsQuery } from './params.ts'
import { parseQuery, runPlanned } from './run.ts'

export interface StatsResponse {
  site: string
  from: string
  to: string
  include_bots: boolean
  events: number
  pageviews: number
  visitors: number
}

/** UInt64 counts arrive as JSON strings; they stay far below 2^53. */
const StatsRowSchema: z.ZodType<StatsRow> = z.object({
  events: z.coerce.number(),
  pageviews: z.coerce.number(),
  visitors: z.coerce.number(),
})

export function statsRoute(deps: RouteDeps): Handler {
  return async (c) => {
    const query = parseQuery(c, StatsQuery)
    const range = resolveRange(query, deps.clock(), defaultSpan('day'))
    if (typeof range === 'string') throw new HttpError('invalid_query', range)
    const site = c.req.param('site')!
    const planned = planStats({ site, ...range, includeBots: query.include_bots })
    if (query.explain) return c.json(planned)

    const [row] = await runPlanned(deps.warehouse, deps.logger, c, {
      name: 'stats.summary',
      planned,
      row: StatsRowSchema,
    })
    const body: StatsResponse = {
      site,
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      include_bots: query.include_bots,
      // UInt64 arrives as a JSON string; counts stay far below 2^53.
      events: Number(row?.events ?? 0),
      pageviews: Number(row?.pageviews ?? 0),
      visitors: Number(row?.visitors ?? 0),
    }
    return c.json(body)
  }
}
