import { DAY_MS, type Resolved, resolveRange } from '../insights/params.ts'
import { instantParam } from '../insights/predicates.ts'
import { compile, type Planned, param, sql } from '../sql/fragment.ts'

/**
 * The reads behind `GET /v1/sites/:site/ingest` (docs/api.md): a site's ingest health from
 * `ingest_stats` (infra/clickhouse/0005_ingest_stats.sql), per UTC interval, and the latest
 * canary lag per bridge. Rows are summed by key in every read (the table's merges fold them
 * only eventually), and minutes are the writer's commit minutes.
 */

export const INGEST_INTERVALS = ['minute', 'hour', 'day'] as const
export type IngestInterval = (typeof INGEST_INTERVALS)[number]

export const INTERVAL_MS: Record<IngestInterval, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: DAY_MS,
}

/** A day by the minute; more is not a chart but a dump. */
export const MAX_INGEST_BUCKETS = 1_440
/** Bridges listed; a pipeline with more is not one this endpoint was made for. */
export const MAX_CANARY_BRIDGES = 100

const DEFAULT_SPAN_MS: Record<IngestInterval, number> = {
  minute: 3_600_000,
  hour: DAY_MS,
  // The table keeps 30 days.
  day: 30 * DAY_MS,
}

export interface IngestSpec {
  site: string
  /** Inclusive, compared with the commit minute. */
  from: Date
  /** Exclusive. */
  to: Date
  interval: IngestInterval
}

/** The first bucket starts at `from` rounded down to the interval (UTC). */
export function bucketStarts(spec: IngestSpec): number[] {
  const step = INTERVAL_MS[spec.interval]
  const starts: number[] = []
  for (let at = Math.floor(spec.from.getTime() / step) * step; at < spec.to.getTime(); at += step)
    starts.push(at)
  return starts
}

export function resolveIngest(
  params: { from?: Date | undefined; to?: Date | undefined; interval: IngestInterval },
  site: string,
  now: Date,
): Resolved<IngestSpec> {
  // Buckets are UTC and the endpoint takes no named range, so the zone never applies.
  const range = resolveRange(params, now, DEFAULT_SPAN_MS[params.interval], 'UTC')
  if (typeof range === 'string') return { refused: range }
  const step = INTERVAL_MS[params.interval]
  const buckets = Math.ceil((range.to.getTime() - Math.floor(range.from.getTime() / step) * step) / step)
  if (buckets > MAX_INGEST_BUCKETS) {
    return {
      refused: `the range holds ${buckets} ${params.interval} buckets, more than ${MAX_INGEST_BUCKETS.toLocaleString('en')}; use a shorter range or a coarser interval`,
    }
  }
  return { spec: { site, ...range, interval: params.interval } }
}

/** The site's counts per bucket, outcome and reason (canaries are not a site's: not here). */
export function planIngestCounts(spec: IngestSpec): Planned {
  const step = param('step_s', 'UInt32', INTERVAL_MS[spec.interval] / 1000)
  return compile(sql`SELECT
  intDiv(toUnixTimestamp(minute), ${step}) * ${step} AS bucket_s,
  outcome,
  stage,
  reason,
  sum(events) AS events
FROM ingest_stats
WHERE site_id = ${param('site', 'String', spec.site)}
  AND outcome IN ('inserted', 'duplicate', 'refused')
  AND minute >= ${instantParam('from', spec.from)}
  AND minute < ${instantParam('to', spec.to)}
GROUP BY bucket_s, outcome, stage, reason
ORDER BY bucket_s, outcome, stage, reason`)
}

/**
 * Per bridge, over the canaries committed in the range: how many, the newest one's creation
 * and lag, and the largest lag. A canary recorded twice (a redelivery) has its lags summed
 * with its deliveries, so its lag is their quotient.
 */
export function planCanaries(spec: IngestSpec): Planned {
  return compile(sql`SELECT
  bridge_id,
  count() AS canaries,
  toUnixTimestamp64Milli(max(created_at)) AS last_created_ms,
  argMax(lag, created_at) AS last_lag_ms,
  max(lag) AS max_lag_ms
FROM (
  SELECT bridge_id, created_at, intDiv(sum(lag_ms), sum(events)) AS lag
  FROM ingest_stats
  WHERE site_id = '' AND outcome = 'canary'
    AND minute >= ${instantParam('from', spec.from)}
    AND minute < ${instantParam('to', spec.to)}
  GROUP BY bridge_id, created_at
)
GROUP BY bridge_id
ORDER BY bridge_id
LIMIT ${param('max_bridges', 'UInt32', MAX_CANARY_BRIDGES)}`)
}
