import { z } from 'zod'
import { compile, type Fragment, join, param, type SqlValue, sql } from '../sql/fragment.ts'
import { type Cohort, cohortParam, inCohort, resolveCohort } from './cohorts.ts'
import { defineInsight } from './define.ts'
import { type Goal, GoalSchema, goalMatches, resolveGoal } from './goals.ts'
import { jsonParam } from './json-param.ts'
import { DAY_MS, explainParam, flag, type Resolved, rangeParams, resolveRange, timeZone } from './params.ts'
import { personEvents } from './persons.ts'
import { instantParam } from './predicates.ts'
import { earliestFrom } from './trends.ts'

export const PERIODS = ['day', 'week', 'month'] as const
export type RetentionPeriod = (typeof PERIODS)[number]
export const MODES = ['first_time', 'recurring'] as const
export type RetentionMode = (typeof MODES)[number]

export interface RetentionSpec {
  site: string
  /** Widened to whole periods in `tz`: the period holding `from` through the one holding the last instant before `to`. */
  from: Date
  to: Date
  includeBots: boolean
  start: Goal
  /** Any event when absent. */
  returning?: Goal
  mode: RetentionMode
  period: RetentionPeriod
  tz: string
  /** Only these persons. */
  cohort?: Cohort
}

/** A cohort table bigger than this is not read by anyone (120 days, weeks or months). */
export const MAX_PERIODS = 120

const HOUR_MS = 3_600_000
const SHORTEST_MS: Record<RetentionPeriod, number> = {
  day: DAY_MS - HOUR_MS,
  week: 7 * DAY_MS - HOUR_MS,
  month: 28 * DAY_MS - HOUR_MS,
}
const DEFAULT_SPAN_MS: Record<RetentionPeriod, number> = {
  day: 14 * DAY_MS,
  week: 12 * 7 * DAY_MS,
  month: 365 * DAY_MS,
}
// Whole periods reach at most this far outside [from, to): the scan is narrowed with it so
// the primary key prunes, and the period test decides exactly.
const SLACK = sql`INTERVAL 32 DAY`

/**
 * The period number of an instant, counted on the local calendar of `tz` (so a 23- or
 * 25-hour DST day is one day): days since 1970-01-01, Monday-based weeks since the first
 * Monday (1970-01-05, day 4) and months as year × 12 + month.
 */
function periodIndex(period: RetentionPeriod, ts: SqlValue, tz: SqlValue): Fragment {
  switch (period) {
    case 'day':
      return sql`toInt64(toRelativeDayNum(${ts}, ${tz}))`
    case 'week':
      return sql`intDiv(toInt64(toRelativeDayNum(toMonday(${ts}, ${tz}))) - 4, 7)`
    case 'month':
      return sql`toInt64(toRelativeMonthNum(${ts}, ${tz}))`
  }
}

/** The instant a period number starts, as DateTime at local midnight (the inverse of `periodIndex`). */
function periodStart(period: RetentionPeriod, index: Fragment, tz: SqlValue): Fragment {
  switch (period) {
    case 'day':
      return sql`toDateTime(toDate(${index}), ${tz})`
    case 'week':
      return sql`toDateTime(toDate((${index}) * 7 + 4), ${tz})`
    case 'month':
      return sql`toDateTime(makeDate(toUInt16(intDiv((${index}) - 1, 12)), toUInt8(((${index}) - 1) % 12 + 1), 1), ${tz})`
  }
}

/**
 * One row per cohort period (offset 0: its size, empty cohorts included) and per cohort and
 * later period with returning persons (offset ≥ 1). A person's cohorts: the period of their
 * first-ever start event (`first_time`, looked up over all time), or every period they did
 * it in (`recurring`); they return in a period when they did the return event in it.
 */
export function planRetention(spec: RetentionSpec) {
  const site = param('site', 'String', spec.site)
  const tz = param('tz', 'String', spec.tz)
  const from = instantParam('from', spec.from)
  const to = instantParam('to', spec.to)
  const first = sql`${periodIndex(spec.period, from, tz)}`
  const last = sql`${periodIndex(spec.period, sql`${to} - toIntervalMillisecond(1)`, tz)}`
  const bots = spec.includeBots ? [] : [sql`NOT is_bot`]
  const around = [sql`site_id = ${site}`, sql`ts >= ${from} - ${SLACK}`, sql`ts < ${to} + ${SLACK}`, ...bots]
  const where = (extra: Fragment[]) => join([...around, ...extra], sql` AND `)
  const index = periodIndex(spec.period, sql`ts`, tz)
  const members = inCohort(spec.cohort, spec.site, spec.includeBots)
  const cohorts =
    spec.mode === 'recurring'
      ? sql`SELECT DISTINCT person, ${index} AS cohort
FROM ${personEvents(where([goalMatches(spec.start)]), site)}
WHERE person != '' AND ${members} AND cohort BETWEEN ${first} AND ${last}`
      : sql`SELECT person, ${periodIndex(spec.period, sql`min(ts)`, tz)} AS cohort
FROM ${personEvents(sql`site_id = ${site} AND ${goalMatches(spec.start)}${spec.includeBots ? sql`` : sql` AND NOT is_bot`}`, site)}
WHERE person != '' AND ${members}
GROUP BY person
HAVING cohort BETWEEN ${first} AND ${last}`
  const returning = spec.returning === undefined ? [] : [goalMatches(spec.returning)]
  return compile(sql`SELECT
  cohort,
  formatDateTime(${periodStart(spec.period, sql`cohort`, tz)}, '%Y-%m-%dT%H:%i:%S.000Z', 'UTC') AS starts,
  formatDateTime(${periodStart(spec.period, sql`cohort + 1`, tz)}, '%Y-%m-%dT%H:%i:%S.000Z', 'UTC') AS ends,
  period_offset,
  sum(persons) AS persons
FROM (
  SELECT arrayJoin(range(${first}, ${last} + 1)) AS cohort, toInt64(0) AS period_offset, toUInt64(0) AS persons
  UNION ALL
  SELECT cohort, toInt64(0) AS period_offset, count() AS persons
  FROM (
    ${cohorts}
  )
  GROUP BY cohort
  UNION ALL
  SELECT c.cohort AS cohort, r.period - c.cohort AS period_offset, count() AS persons
  FROM (
    ${cohorts}
  ) AS c
  INNER JOIN (
    SELECT DISTINCT person, ${index} AS period
    FROM ${personEvents(where(returning), site)}
    WHERE person != '' AND period BETWEEN ${first} AND ${last}
  ) AS r ON r.person = c.person
  WHERE r.period > c.cohort
  GROUP BY cohort, period_offset
)
GROUP BY cohort, period_offset
ORDER BY cohort, period_offset`)
}

const count = z.coerce.number().int().nonnegative()
export const RetentionRowSchema = z.object({
  cohort: z.coerce.number().int(),
  starts: z.string(),
  ends: z.string(),
  period_offset: z.coerce.number().int().nonnegative(),
  persons: count,
})
export type RetentionRow = z.output<typeof RetentionRowSchema>

export const RetentionResponseSchema = z.object({
  site: z.string(),
  from: z.string().describe('the start of the first cohort period (`from` widened to whole periods)'),
  to: z.string().describe('the end of the last cohort period'),
  include_bots: z.boolean(),
  mode: z.enum(MODES),
  period: z.enum(PERIODS),
  tz: z.string(),
  start_event: z.string(),
  return_event: z.string().nullable().describe('null: any event'),
  cohorts: z.array(
    z.object({
      period_start: z.string().describe('ISO 8601 instant the cohort period starts (local midnight)'),
      persons: z.number().int().describe('the cohort: period 0'),
      retained: z
        .array(
          z.object({
            period: z.number().int().describe('periods after the cohort’s, 0 being the cohort itself'),
            persons: z.number().int(),
            rate: z.number().min(0).max(1),
          }),
        )
        .describe('one entry per period from 0 to the last period of the range'),
    }),
  ),
})
export type RetentionResponse = z.output<typeof RetentionResponseSchema>

export const retention = defineInsight({
  kind: 'retention',
  summary: 'Cohorts by the period of a start event and the share returning in each later period',
  params: z.strictObject({
    ...rangeParams,
    include_bots: flag.default(false),
    start: jsonParam(GoalSchema),
    return: jsonParam(GoalSchema).optional(),
    mode: z.enum(MODES, { error: `expected one of ${MODES.join(', ')}` }).default('first_time'),
    period: z.enum(PERIODS, { error: `expected one of ${PERIODS.join(', ')}` }).default('week'),
    tz: timeZone.default('UTC'),
    cohort: cohortParam.optional(),
    ...explainParam,
  }),
  resolve(params, { site, now }): Resolved<RetentionSpec> {
    const range = resolveRange(params, now, DEFAULT_SPAN_MS[params.period], params.tz)
    if (typeof range === 'string') return { refused: range }
    // Periods are widened to local midnights up to a month before `from`, which must stay after 1970.
    const earliest = earliestFrom('month')
    if (range.from < earliest) return { refused: `\`from\` must be ${earliest.toISOString()} or later` }
    const periods = Math.ceil((range.to.getTime() - range.from.getTime()) / SHORTEST_MS[params.period]) + 1
    if (periods > MAX_PERIODS) {
      return {
        refused: `the range holds up to ${periods} ${params.period} periods; the limit is ${MAX_PERIODS} (use a longer period or a shorter range)`,
      }
    }
    const start = resolveGoal(params.start, 'start')
    if (typeof start === 'string') return { refused: start }
    const spec: RetentionSpec = {
      site,
      ...range,
      includeBots: params.include_bots,
      start,
      mode: params.mode,
      period: params.period,
      tz: params.tz,
    }
    if (params.cohort !== undefined) {
      const cohort = resolveCohort(params.cohort, range.to)
      if (typeof cohort === 'string') return { refused: cohort }
      spec.cohort = cohort
    }
    if (params.return !== undefined) {
      const returning = resolveGoal(params.return, 'return')
      if (typeof returning === 'string') return { refused: returning }
      spec.returning = returning
    }
    return { spec }
  },
  plan: planRetention,
  row: RetentionRowSchema,
  respond(spec, rows): RetentionResponse {
    const cohorts = [...new Set(rows.map((r) => r.cohort))].sort((a, b) => a - b)
    const n = cohorts.length
    const byCohort = new Map(cohorts.map((c) => [c, rows.filter((r) => r.cohort === c)]))
    return {
      site: spec.site,
      from: rows.find((r) => r.cohort === cohorts[0])?.starts ?? spec.from.toISOString(),
      to: rows.find((r) => r.cohort === cohorts[n - 1])?.ends ?? spec.to.toISOString(),
      include_bots: spec.includeBots,
      mode: spec.mode,
      period: spec.period,
      tz: spec.tz,
      start_event: spec.start.event,
      return_event: spec.returning?.event ?? null,
      cohorts: cohorts.map((c, i) => {
        const own = byCohort.get(c) ?? []
        const size = own.find((r) => r.period_offset === 0)?.persons ?? 0
        return {
          period_start: own[0]!.starts,
          persons: size,
          retained: Array.from({ length: n - i }, (_, k) => {
            const persons = k === 0 ? size : (own.find((r) => r.period_offset === k)?.persons ?? 0)
            return { period: k, persons, rate: size === 0 ? 0 : persons / size }
          }),
        }
      }),
    }
  },
  response: RetentionResponseSchema,
})
