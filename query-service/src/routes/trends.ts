import { HttpError } from '@sightline/http'
import type { Handler } from 'hono'
import { z } from 'zod'
import { type Interval, planTrends, type TrendsRow } from '../planner/index.ts'
import type { RouteDeps } from './deps.ts'
import { bucketCount, defaultSpan, MAX_BUCKETS, resolveRange, TrendsQuery } from './params.ts'
import { parseQuery, runPlanned } from './run.ts'

export interface TrendsResponse {
  site: string
  event: string | null
  interval: Interval
  tz: string
  from: string
  to: string
  include_bots: boolean
  /** One entry per bucket in the range, empty buckets included, oldest first. */
  buckets: { bucket: string; count: number; visitors: number }[]
}

const TrendsRowSchema: z.ZodType<TrendsRow> = z.object({
  bucket: z.string(),
  count: z.coerce.number(),
  visitors: z.coerce.number(),
})

export function trendsRoute(deps: RouteDeps): Handler {
  return async (c) => {
    const query = parseQuery(c, TrendsQuery)
    const range = resolveRange(query, deps.clock(), defaultSpan(query.interval))
    if (typeof range === 'string') throw new HttpError('invalid_query', range)
    const buckets = bucketCount(range.from, range.to, query.interval)
    if (buckets > MAX_BUCKETS) {
      throw new HttpError(
        'invalid_query',
        `the range holds up to ${buckets} ${query.interval} buckets; the limit is ${MAX_BUCKETS} (use a coarser interval or a shorter range)`,
      )
    }
    const site = c.req.param('site')!
    const planned = planTrends({
      site,
      ...range,
      includeBots: query.include_bots,
      interval: query.interval,
      tz: query.tz,
      ...(query.event === undefined ? {} : { event: query.event }),
    })
    if (query.explain) return c.json(planned)

    const rows = await runPlanned(deps.warehouse, deps.logger, c, {
      name: 'trends.buckets',
      planned,
      row: TrendsRowSchema,
    })
    const body: TrendsResponse = {
      site,
      event: query.event ?? null,
      interval: query.interval,
      tz: query.tz,
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      include_bots: query.include_bots,
      buckets: rows.map((r) => ({ bucket: r.bucket, count: Number(r.count), visitors: Number(r.visitors) })),
    }
    return c.json(body)
  }
}
