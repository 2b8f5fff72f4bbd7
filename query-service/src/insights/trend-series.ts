import { z } from 'zod'
import { type Fragment, join, param, type SqlValue, sql } from '../sql/fragment.ts'
import { cohortEvents } from './cohorts.ts'
import { type EventDimension, eventFilters, eventValue, type Filter } from './dimensions.ts'
import { eventsWhere, type Window } from './predicates.ts'
import { ROLLUP_EVENTS, ROLLUP_VISITORS, type RollupScope, rollupRows } from './rollup.ts'
import { sessionEvents } from './sessions.ts'

/**
 * The series of a trends spec: what each line counts per time bucket. Every series reads
 * the same events (site, range, bots, the spec's filters), narrowed to its own event name.
 * Definitions in docs/metrics.md ("Trends").
 */

/** Counts, then aggregates of a numeric property; a property series needs `property`. */
export const COUNT_MATHS = ['events', 'persons', 'sessions'] as const
export const PROPERTY_MATHS = ['sum', 'avg', 'min', 'max', 'median', 'p90'] as const
export const MATHS = [...COUNT_MATHS, ...PROPERTY_MATHS] as const
export type TrendMath = (typeof MATHS)[number]

export const isPropertyMath = (math: TrendMath): math is (typeof PROPERTY_MATHS)[number] =>
  (PROPERTY_MATHS as readonly string[]).includes(math)

export const MAX_SERIES = 10
/** Lines per series when broken down: the top values, then `other`. */
export const MAX_BREAKDOWN_LIMIT = 50

export interface Series {
  math: TrendMath
  /** Stored event name (`$pageview` for page views); every event when absent. */
  event?: string
  /** The custom property key a property math aggregates (`amount` for properties.amount). */
  property?: string
}

export interface TrendBreakdown {
  by: EventDimension
  limit: number
}

export interface SeriesPlanInput {
  window: Window
  includeBots: boolean
  filters: Filter[]
  series: Series[]
  breakdown?: TrendBreakdown
  /** `bucketOf(expr)`: the bucket start of an instant, as DateTime in the spec's zone. */
  bucketOf(expr: SqlValue): Fragment
  /** Every bucket start of the range, one row each (column `b`). */
  allBuckets: Fragment
  /** Read the hourly rollup in this scope instead of the events (rollup.ts decides when). */
  rollup?: RollupScope
  /** Only the events of persons passing this test (a cohort's, cohorts.ts); never with `rollup`. */
  members?: Fragment
}

/** Row `series` of the bucket list (255 in the SQL): not a series, the buckets every line is filled to. */
export const BUCKETS_ROW = 255

/**
 * One long-format result: a row per (series, breakdown line, bucket) that has events, plus
 * one row per bucket of the range (`series` = BUCKETS_ROW) so the response can fill empty
 * buckets. `rank` is 0 without a breakdown, 1…limit for the top values (ranked by events
 * over the whole range among all series' events, then value) and limit + 1 for `other`.
 */
export function seriesQuery(input: SeriesPlanInput): Fragment {
  const { breakdown } = input
  const base = eventsWhere(input.window, input.includeBots, eventFilters(input.filters))
  const byValue =
    breakdown === undefined
      ? undefined
      : input.rollup !== undefined
        ? breakdown.by === 'event'
          ? sql`event`
          : sql`dim_value`
        : sql`ifNull(${eventValue(breakdown.by)}, '')`
  const parts: Fragment[] = [
    sql`SELECT toUInt8(255) AS series, b, toUInt32(0) AS rank, '' AS label, CAST(NULL, 'Nullable(Float64)') AS value
FROM (
  ${input.allBuckets}
)`,
  ]
  input.series.forEach((series, index) => {
    // Only the union's columns: a breakdown's part also has its grouping key `position`.
    parts.push(sql`SELECT series, b, rank, label, value
FROM (
  ${seriesPart(input, series, index, base, byValue)}
)`)
  })
  // Values are ranked over the events the lines count: with a cohort, its persons' only.
  const topFrom =
    input.members === undefined
      ? sql`events
    WHERE ${base}
      AND `
      : sql`${cohortEvents(base, input.window.site, input.members)}
    WHERE `
  const top =
    breakdown === undefined || byValue === undefined
      ? sql``
      : sql`WITH (
  SELECT groupArray(v)
  FROM (
    SELECT ${byValue} AS v
    ${
      input.rollup === undefined
        ? sql`FROM ${topFrom}(${join(input.series.map(eventTest), sql` OR `)})
    GROUP BY v
    ORDER BY count() DESC, v`
        : sql`FROM ${rollupOf(input, input.rollup)}
    WHERE ${join(input.series.map(eventTest), sql` OR `)}
    GROUP BY v
    ORDER BY ${ROLLUP_EVENTS} DESC, v`
    }
    LIMIT ${param('breakdown_limit', 'UInt32', breakdown.limit)}
  )
) AS top
`
  return sql`${top}SELECT
  series,
  formatDateTime(b, '%Y-%m-%dT%H:%i:%S.000Z', 'UTC') AS bucket,
  rank,
  label,
  value
FROM (
  ${join(parts, sql`\nUNION ALL\n`)}
)
ORDER BY series, rank, b`
}

function eventTest(series: Series): Fragment {
  return series.event === undefined ? sql`1` : sql`event = ${param('event', 'String', series.event)}`
}

/** A property's value as a number: numbers, and text that reads as one; NULL otherwise. */
function numberOf(key: string): Fragment {
  return sql`toFloat64OrNull(${eventValue(`properties.${key}`)})`
}

function rollupOf(input: SeriesPlanInput, scope: RollupScope, event?: string): Fragment {
  return rollupRows({
    window: input.window,
    includeBots: input.includeBots,
    scope,
    filters: input.filters,
    ...(event === undefined ? {} : { event: param('event', 'String', event) }),
  })
}

/** A count over rollup rows; only counts the rollup holds (rollup.ts refuses the rest). */
function rollupAggregate(series: Series): Fragment {
  if (series.math === 'events') return sql`toFloat64(${ROLLUP_EVENTS})`
  if (series.math === 'persons') return sql`toFloat64(${ROLLUP_VISITORS})`
  throw new Error(`the rollup does not hold ${series.math}`)
}

function aggregate(series: Series): Fragment {
  const x = series.property === undefined ? sql`NULL` : numberOf(series.property)
  switch (series.math) {
    case 'events':
      return sql`toFloat64(count())`
    case 'persons':
      return sql`toFloat64(uniqExactIf(person, person != ''))`
    case 'sessions':
      return sql`toFloat64(uniqExact(anonymous_id, visit))`
    case 'sum':
      return sql`ifNull(sum(${x}), 0)`
    case 'avg':
      return sql`avgOrNull(${x})`
    case 'min':
      return sql`minOrNull(${x})`
    case 'max':
      return sql`maxOrNull(${x})`
    // R-7 interpolation (numpy's default, Excel's PERCENTILE.INC), exact over every value.
    case 'median':
      return sql`quantileExactInclusiveOrNull(0.5)(${x})`
    case 'p90':
      return sql`quantileExactInclusiveOrNull(0.9)(${x})`
  }
}

function seriesPart(
  input: SeriesPlanInput,
  series: Series,
  index: number,
  base: Fragment,
  byValue: Fragment | undefined,
): Fragment {
  const lines = (value: Fragment | undefined) =>
    value === undefined || input.breakdown === undefined
      ? sql`toUInt32(0) AS rank, '' AS label`
      : sql`indexOf(top, ${value}) AS position,
  toUInt32(if(position = 0, ${param('other_rank', 'UInt32', input.breakdown.limit + 1)}, position)) AS rank,
  -- The label is read back from \`top\`, so it depends on the GROUP BY key alone.
  if(position = 0, '', top[position]) AS label`
  const groupBy = byValue === undefined ? sql`b` : sql`b, position`
  const select = (ts: Fragment, value: Fragment | undefined, agg = aggregate(series)) => sql`SELECT
  toUInt8(${param('series', 'UInt8', index)}) AS series,
  ${input.bucketOf(ts)} AS b,
  ${lines(value)},
  toNullable(${agg}) AS value`
  if (input.rollup !== undefined) {
    // Hours are whole buckets' parts here (rollup.ts), so an hour's start buckets its rows.
    return sql`${select(sql`toDateTime64(hour, 3, 'UTC')`, byValue, rollupAggregate(series))}
FROM ${rollupOf(input, input.rollup, series.event)}
GROUP BY ${groupBy}`
  }
  if (series.math === 'sessions') {
    // Visits are formed from every event the filters keep; the series' event then picks
    // which visits count in a bucket: those with such an event in it.
    const ts = sql`fromUnixTimestamp64Milli(t_ms, 'UTC')`
    const columns: Record<string, Fragment> =
      byValue === undefined ? { event: sql`event` } : { event: sql`event`, line_value: byValue }
    const personFilter =
      input.members === undefined ? {} : { personFilter: { site: input.window.site, test: input.members } }
    return sql`${select(ts, byValue === undefined ? undefined : sql`line_value`)}
FROM (
  ${sessionEvents({ where: base, period: sql`toUInt8(1)`, details: [], columns, ...personFilter })}
)
WHERE ${eventTest(series)}
GROUP BY ${groupBy}`
  }
  return sql`${select(sql`ts`, byValue)}
FROM ${cohortEvents(sql`${base}\n  AND ${eventTest(series)}`, input.window.site, input.members)}
GROUP BY ${groupBy}`
}

const number = z.number().nullable()
export const SeriesRowSchema = z.object({
  series: z.coerce.number().int().min(0).max(BUCKETS_ROW),
  bucket: z.string(),
  rank: z.coerce.number().int().nonnegative(),
  label: z.string(),
  value: z.union([number, z.string().transform(Number)]),
})
export type SeriesRow = z.output<typeof SeriesRowSchema>
