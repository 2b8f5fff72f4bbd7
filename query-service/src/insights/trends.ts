import { storedEventName } from '@sightline/contracts'
import { z } from 'zod'
import { compile, type Fragment, param, type SqlValue, sql } from '../sql/fragment.ts'
import { type Cohort, cohortEvents, cohortParam, cohortTest, resolveCohort } from './cohorts.ts'
import { defineInsight } from './define.ts'
import {
  type Dimension,
  dimension,
  type EventDimension,
  eventFilters,
  type Filter,
  filtersParam,
  isVisitDimension,
  patternPreflight,
} from './dimensions.ts'
import { jsonParam } from './json-param.ts'
import {
  DAY_MS,
  explainParam,
  flag,
  type Resolved,
  rangeParams,
  resolveRange,
  timeZone,
  WINDOW_START,
} from './params.ts'
import { eventsWhere, windowParams } from './predicates.ts'
import {
  ROLLUP_EVENTS,
  ROLLUP_VISITORS,
  type RollupPlan,
  type RollupScope,
  rollupRows,
  rollupScope,
} from './rollup.ts'
import {
  BUCKETS_ROW,
  isPropertyMath,
  MATHS,
  MAX_BREAKDOWN_LIMIT,
  MAX_SERIES,
  type Series,
  type SeriesRow,
  SeriesRowSchema,
  seriesQuery,
  type TrendBreakdown,
} from './trend-series.ts'

export const INTERVALS = ['hour', 'day', 'week', 'month'] as const
export type Interval = (typeof INTERVALS)[number]

export interface TrendsSpec {
  site: string
  /** Inclusive. */
  from: Date
  /** Exclusive. */
  to: Date
  includeBots: boolean
  /** Only rows whose `event` equals this name; all events when absent. */
  event?: string
  interval: Interval
  /** IANA time zone the buckets are aligned to (day starts at local midnight). */
  tz: string
  /** Event-dimension filters, ANDed, applied to every series (none when absent). */
  filters?: Filter[]
  /** Lines to draw; absent: the classic answer (`buckets` with count and visitors). */
  series?: Series[]
  breakdown?: TrendBreakdown
  /** Only these persons' events, in every series (never from the rollup, which has no persons). */
  cohort?: Cohort
}

/** A trends response larger than this is a mistake (hourly over a year), not a chart. */
export const MAX_BUCKETS = 2_000

const HOUR_MS = 3_600_000

/**
 * The shortest and longest a bucket can be in any zone: DST makes days 23–25 h, and zones
 * with 30-minute shifts make one local hour a year 30 or 90 minutes. Counting with the
 * shortest and aligning with the longest makes the bucket estimate err towards refusing.
 */
const SHORTEST_MS: Record<Interval, number> = {
  hour: HOUR_MS,
  day: DAY_MS - HOUR_MS,
  week: 7 * DAY_MS - HOUR_MS,
  month: 28 * DAY_MS - HOUR_MS,
}
const LONGEST_MS: Record<Interval, number> = {
  hour: 2 * HOUR_MS,
  day: 2 * DAY_MS,
  week: 8 * DAY_MS,
  month: 32 * DAY_MS,
}

/** A default window that gives a useful chart at each granularity. */
const DEFAULT_SPAN_MS: Record<Interval, number> = {
  hour: DAY_MS,
  day: 7 * DAY_MS,
  week: 12 * 7 * DAY_MS,
  month: 365 * DAY_MS,
}

/**
 * The earliest `from` per interval: the first bucket starts up to one bucket before `from`
 * (in the zone), and that start must not precede 1970, where ClickHouse's DateTime wraps.
 */
export function earliestFrom(interval: Interval): Date {
  return new Date(WINDOW_START.getTime() + LONGEST_MS[interval])
}

/** Buckets the response can hold, counted from the aligned start of the first one (upper bound). */
export function bucketCount(from: Date, to: Date, interval: Interval): number {
  const alignedFrom = from.getTime() - LONGEST_MS[interval]
  return Math.ceil((to.getTime() - alignedFrom) / SHORTEST_MS[interval]) + 1
}

/**
 * Bucket start for an interval, as DateTime in the requested zone. Week and month go
 * through Date-returning functions, so they are widened back to a DateTime at local
 * midnight: one column type for every interval keeps WITH FILL and the output uniform.
 * Weeks start on Monday (ISO 8601).
 */
export function bucketOf(interval: Interval, expr: SqlValue, tz: SqlValue): Fragment {
  switch (interval) {
    case 'hour':
      return sql`toStartOfHour(${expr}, ${tz})`
    case 'day':
      return sql`toStartOfDay(${expr}, ${tz})`
    case 'week':
      return sql`toDateTime(toMonday(${expr}, ${tz}), ${tz})`
    case 'month':
      return sql`toDateTime(toStartOfMonth(${expr}, ${tz}), ${tz})`
  }
}

const STEP: Record<Interval, Fragment> = {
  hour: sql`INTERVAL 1 HOUR`,
  day: sql`INTERVAL 1 DAY`,
  week: sql`INTERVAL 1 WEEK`,
  month: sql`INTERVAL 1 MONTH`,
}

/**
 * Per-bucket event count and unique visitors over [from, to), one row per bucket even when
 * a bucket has no events (WITH FILL steps calendar-aware in the zone, so DST days and
 * months of different length land on local midnights). The fill happens in the inner
 * query because filled rows carry defaults only; the outer query formats every row.
 * `bucket` is the UTC instant the bucket starts, in ISO 8601.
 */
export function planTrends(spec: TrendsSpec, rollup?: RollupScope) {
  const window = windowParams(spec)
  const tz = param('tz', 'String', spec.tz)
  const members = cohortTest(spec)
  if (members !== undefined && rollup !== undefined) throw new Error('a cohort is not read from the rollup')
  if (spec.series !== undefined) {
    const step = STEP[spec.interval]
    return compile(
      seriesQuery({
        window,
        includeBots: spec.includeBots,
        filters: spec.filters ?? [],
        series: spec.series,
        ...(spec.breakdown === undefined ? {} : { breakdown: spec.breakdown }),
        bucketOf: (expr) => bucketOf(spec.interval, expr, tz),
        ...(rollup === undefined ? {} : { rollup }),
        ...(members === undefined ? {} : { members }),
        allBuckets: sql`SELECT b
FROM (SELECT ${bucketOf(spec.interval, window.from, tz)} AS b WHERE 0)
ORDER BY b WITH FILL
  FROM ${bucketOf(spec.interval, window.from, tz)}
  TO toDateTime(${window.to}, ${tz})
  STEP ${step}`,
      }),
    )
  }
  const byEvent = [
    ...(spec.event === undefined ? [] : [sql`event = ${param('event', 'String', spec.event)}`]),
    ...eventFilters(spec.filters ?? []),
  ]
  // Rollup hours lie wholly inside one bucket (rollup.ts), so an hour's start buckets its rows.
  const read =
    rollup === undefined
      ? {
          ts: sql`ts`,
          count: sql`count()`,
          visitors: sql`uniqExactIf(person, person != '')`,
          from: cohortEvents(eventsWhere(window, spec.includeBots, byEvent), window.site, members),
        }
      : {
          ts: sql`toDateTime64(hour, 3, 'UTC')`,
          count: ROLLUP_EVENTS,
          visitors: ROLLUP_VISITORS,
          from: rollupRows({
            window,
            includeBots: spec.includeBots,
            scope: rollup,
            filters: spec.filters ?? [],
            ...(spec.event === undefined ? {} : { event: param('event', 'String', spec.event) }),
          }),
        }
  return compile(sql`SELECT
  formatDateTime(b, '%Y-%m-%dT%H:%i:%S.000Z', 'UTC') AS bucket,
  count,
  visitors
FROM (
  SELECT
    ${bucketOf(spec.interval, read.ts, tz)} AS b,
    ${read.count} AS count,
    ${read.visitors} AS visitors
  FROM ${read.from}
  GROUP BY b
  ORDER BY b WITH FILL
    FROM ${bucketOf(spec.interval, window.from, tz)}
    TO toDateTime(${window.to}, ${tz})
    STEP ${STEP[spec.interval]}
)
ORDER BY b`)
}

/**
 * The same answer from the hourly rollup, when the spec allows it (rollup.ts): counts of
 * events and of stored person ids only, over at most one rolled-up dimension.
 */
export function planTrendsRollup(spec: TrendsSpec): RollupPlan | { refused: string } {
  if (spec.cohort !== undefined) return { refused: 'the rollup has no persons to keep a cohort by' }
  const series = spec.series ?? []
  const other = series.find((s) => s.math !== 'events' && s.math !== 'persons')
  if (other !== undefined) return { refused: `the rollup holds no ${other.math}` }
  const dims = [
    ...(spec.filters ?? []).map((f) => f.dimension),
    ...(spec.breakdown ? [spec.breakdown.by] : []),
  ]
  const scope = rollupScope(spec, spec.tz, dims)
  if (typeof scope === 'string') return { refused: scope }
  return {
    planned: planTrends(spec, scope),
    countsPersons: spec.series === undefined || series.some((s) => s.math === 'persons'),
  }
}

const isoInstant = z.string().describe('ISO 8601 instant, UTC')
const count = z.coerce.number().int().nonnegative()

const ClassicRowSchema = z.object({ bucket: z.string(), count, visitors: count })
/** Classic rows (bucket, count, visitors) or, for a spec with series, long-format series rows. */
export const TrendsRowSchema = z.union([SeriesRowSchema, ClassicRowSchema])
export type TrendsRow = z.output<typeof TrendsRowSchema>

const SeriesSchema = z.strictObject({
  math: z.enum(MATHS, { error: `expected one of ${MATHS.join(', ')}` }).default('events'),
  event: z.string().min(1).max(200).optional(),
  property: z.string().min(1).max(200).optional(),
})

const LineSchema = z.object({
  series: z.number().int().describe('index of the series in the spec'),
  math: z.enum(MATHS),
  event: z.string().nullable(),
  property: z.string().nullable(),
  breakdown_value: z
    .string()
    .nullable()
    .describe('the value of `breakdown` this line counts; null without a breakdown and for the other line'),
  other: z.boolean().describe('true for the line that sums every value after the top `breakdown_limit`'),
  points: z.array(
    z.object({
      bucket: isoInstant,
      value: z
        .number()
        .nullable()
        .describe('0 for counts and sum over no events; null for avg/min/max/median/p90 over no values'),
    }),
  ),
})

export const TrendsResponseSchema = z.object({
  site: z.string(),
  event: z.string().nullable(),
  interval: z.enum(INTERVALS),
  tz: z.string(),
  from: isoInstant,
  to: isoInstant,
  include_bots: z.boolean(),
  filters: z.array(
    z.object({ dimension: z.string(), op: z.string(), value: z.union([z.string(), z.number()]) }),
  ),
  buckets: z
    .array(z.object({ bucket: isoInstant, count: z.number().int(), visitors: z.number().int() }))
    .optional()
    .describe('without `series`: events and unique visitors per bucket'),
  breakdown: z.string().nullable().optional(),
  breakdown_limit: z.number().int().optional(),
  series: z
    .array(LineSchema)
    .optional()
    .describe('with `series`: one line per series (per breakdown value, then other), every bucket filled'),
})
export type TrendsResponse = z.output<typeof TrendsResponseSchema>

export const trends = defineInsight({
  kind: 'trends',
  summary: 'Counts per time bucket, empty buckets included',
  params: z.strictObject({
    ...rangeParams,
    include_bots: flag.default(false),
    event: z.string().min(1).max(200).optional(),
    interval: z.enum(INTERVALS, { error: `expected one of ${INTERVALS.join(', ')}` }).default('day'),
    tz: timeZone.default('UTC'),
    filters: filtersParam.default([]),
    series: jsonParam(
      z
        .array(SeriesSchema)
        .min(1)
        .max(MAX_SERIES, { error: `at most ${MAX_SERIES} series` }),
    ).optional(),
    breakdown: dimension.optional(),
    breakdown_limit: z.coerce.number().int().min(1).max(MAX_BREAKDOWN_LIMIT).default(5),
    cohort: cohortParam.optional(),
    ...explainParam,
  }),
  resolve(params, { site, now }): Resolved<TrendsSpec> {
    const range = resolveRange(params, now, DEFAULT_SPAN_MS[params.interval], params.tz)
    if (typeof range === 'string') return { refused: range }
    const earliest = earliestFrom(params.interval)
    if (range.from < earliest) {
      return {
        refused: `with interval=${params.interval}, \`from\` must be ${earliest.toISOString()} or later (the first bucket may start up to one ${params.interval} before it)`,
      }
    }
    const buckets = bucketCount(range.from, range.to, params.interval)
    if (buckets > MAX_BUCKETS) {
      return {
        refused: `the range holds up to ${buckets} ${params.interval} buckets; the limit is ${MAX_BUCKETS} (use a coarser interval or a shorter range)`,
      }
    }
    const refused = refusedShape(params)
    if (refused !== undefined) return { refused }
    const cohort = params.cohort === undefined ? undefined : resolveCohort(params.cohort, range.to)
    if (typeof cohort === 'string') return { refused: cohort }
    const spec: TrendsSpec = {
      site,
      ...range,
      includeBots: params.include_bots,
      interval: params.interval,
      tz: params.tz,
      filters: params.filters,
      // `pageview` is the public name of page views; they are stored as `$pageview`.
      ...(params.event === undefined ? {} : { event: storedEventName(params.event) }),
      ...(params.series === undefined
        ? {}
        : {
            series: params.series.map((s) => ({
              math: s.math,
              ...(s.event === undefined ? {} : { event: storedEventName(s.event) }),
              ...(s.property === undefined ? {} : { property: s.property }),
            })),
          }),
      ...(params.breakdown === undefined
        ? {}
        : { breakdown: { by: params.breakdown as EventDimension, limit: params.breakdown_limit } }),
      ...(cohort === undefined ? {} : { cohort }),
    }
    return { spec }
  },
  preflight: (spec) => patternPreflight(spec.filters ?? []),
  plan: (spec) => planTrends(spec),
  rollup: planTrendsRollup,
  row: TrendsRowSchema,
  respond(spec, rows): TrendsResponse {
    const head = {
      site: spec.site,
      event: spec.event ?? null,
      interval: spec.interval,
      tz: spec.tz,
      from: spec.from.toISOString(),
      to: spec.to.toISOString(),
      include_bots: spec.includeBots,
      filters: spec.filters ?? [],
    }
    if (spec.series === undefined) {
      const classic = rows as Array<z.output<typeof ClassicRowSchema>>
      return {
        ...head,
        buckets: classic.map((r) => ({ bucket: r.bucket, count: r.count, visitors: r.visitors })),
      }
    }
    return {
      ...head,
      breakdown: spec.breakdown?.by ?? null,
      ...(spec.breakdown === undefined ? {} : { breakdown_limit: spec.breakdown.limit }),
      series: linesOf(spec, spec.series, rows as SeriesRow[]),
    }
  },
  response: TrendsResponseSchema,
})

/** What the schema cannot say: which combinations of fields make sense. */
function refusedShape(params: {
  event?: string | undefined
  series?: Array<{ math: string; property?: string | undefined }> | undefined
  filters: Filter[]
  breakdown?: Dimension | undefined
}): string | undefined {
  const visitFilter = params.filters.find((f) => isVisitDimension(f.dimension))
  if (visitFilter !== undefined) {
    return `filters: ${visitFilter.dimension} describes visits; trends filter events (page, country, …, properties.<key>)`
  }
  if (params.series === undefined) {
    if (params.breakdown !== undefined) return 'breakdown: needs `series` (e.g. [{"math":"events"}])'
    return undefined
  }
  if (params.event !== undefined) return 'event: with `series`, name the event in each series'
  if (params.breakdown !== undefined && isVisitDimension(params.breakdown)) {
    return `breakdown: ${params.breakdown} describes visits; trends break down by an event dimension`
  }
  for (const [i, s] of params.series.entries()) {
    const needs = isPropertyMath(s.math as Series['math'])
    if (needs && s.property === undefined)
      return `series.${i}.property: ${s.math} aggregates a numeric property`
    if (!needs && s.property !== undefined)
      return `series.${i}.property: ${s.math} counts; it takes no property`
  }
  return undefined
}

/** Each series' lines in order (top values by rank, then other), every bucket filled. */
function linesOf(spec: TrendsSpec, series: Series[], rows: SeriesRow[]) {
  const buckets = rows.filter((r) => r.series === BUCKETS_ROW).map((r) => r.bucket)
  const lines: NonNullable<TrendsResponse['series']> = []
  series.forEach((s, index) => {
    const mine = rows.filter((r) => r.series === index)
    const ranks = [...new Set(mine.map((r) => r.rank))].sort((a, b) => a - b)
    // Without a breakdown there is one line even when no event matched.
    if (spec.breakdown === undefined && ranks.length === 0) ranks.push(0)
    const empty = isPropertyMath(s.math) && s.math !== 'sum' ? null : 0
    for (const rank of ranks) {
      const byBucket = new Map(mine.filter((r) => r.rank === rank).map((r) => [r.bucket, r]))
      const other = spec.breakdown !== undefined && rank === spec.breakdown.limit + 1
      lines.push({
        series: index,
        math: s.math,
        event: s.event ?? null,
        property: s.property ?? null,
        breakdown_value:
          spec.breakdown === undefined || other ? null : (byBucket.values().next().value?.label ?? ''),
        other,
        points: buckets.map((bucket) => ({ bucket, value: byBucket.get(bucket)?.value ?? empty })),
      })
    }
  })
  return lines
}
