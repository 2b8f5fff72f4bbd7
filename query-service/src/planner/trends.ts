import { baseWhere, chDateTime, TS_TYPE } from './fragments.ts'
import type { Interval, Planned, TrendsSpec } from './types.ts'

export interface TrendsRow {
  bucket: string
  count: number | string
  visitors: number | string
}

/**
 * Bucket start for an interval, as DateTime in the requested zone. Week and month go
 * through Date-returning functions, so they are widened back to a DateTime at local
 * midnight: one column type for every interval keeps WITH FILL and the output uniform.
 * Weeks start on Monday (ISO 8601).
 */
function bucketOf(interval: Interval, expr: string): string {
  switch (interval) {
    case 'hour':
      return `toStartOfHour(${expr}, {tz:String})`
    case 'day':
      return `toStartOfDay(${expr}, {tz:String})`
    case 'week':
      return `toDateTime(toMonday(${expr}, {tz:String}), {tz:String})`
    case 'month':
      return `toDateTime(toStartOfMonth(${expr}, {tz:String}), {tz:String})`
  }
}

const STEP: Record<Interval, string> = {
  hour: 'INTERVAL 1 HOUR',
  day: 'INTERVAL 1 DAY',
  week: 'INTERVAL 1 WEEK',
  month: 'INTERVAL 1 MONTH',
}

/**
 * Per-bucket event count and unique visitors over [from, to), one row per bucket even when
 * a bucket has no events (WITH FILL steps calendar-aware in the zone, so DST days and
 * months of different length land on local midnights). The fill happens in the inner
 * query because filled rows carry defaults only; the outer query formats every row.
 * `bucket` is the UTC instant the bucket starts, in ISO 8601.
 */
export function planTrends(spec: TrendsSpec): Planned {
  const where =
    baseWhere(spec.includeBots) + (spec.event === undefined ? '' : '\n  AND event = {event:String}')
  const sql = `SELECT
  formatDateTime(b, '%Y-%m-%dT%H:%i:%S.000Z', 'UTC') AS bucket,
  count,
  visitors
FROM (
  SELECT
    ${bucketOf(spec.interval, 'ts')} AS b,
    count() AS count,
    uniqExact(person_id) AS visitors
  FROM events
  WHERE ${where.replaceAll('\n', '\n  ')}
  GROUP BY b
  ORDER BY b WITH FILL
    FROM ${bucketOf(spec.interval, `{from:${TS_TYPE}}`)}
    TO toDateTime({to:${TS_TYPE}}, {tz:String})
    STEP ${STEP[spec.interval]}
)
ORDER BY b`
  const params: Planned['params'] = {
    site: spec.site,
    from: chDateTime(spec.from),
    to: chDateTime(spec.to),
    tz: spec.tz,
  }
  if (spec.event !== undefined) params.event = spec.event
  return { sql, params }
}
