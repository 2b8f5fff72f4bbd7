import { z } from 'zod'
import { compile, sql } from '../sql/fragment.ts'
import { type Cohort, cohortEvents, cohortParam, cohortTest, resolveCohort } from './cohorts.ts'
import { defineInsight } from './define.ts'
import {
  DAY_MS,
  explainParam,
  flag,
  type Resolved,
  rangeParams,
  resolveRange,
  siteZone,
  WINDOW_START,
} from './params.ts'
import { eventsWhere, instantParam, windowParams } from './predicates.ts'
import { sessionsQuery } from './sessions.ts'

export interface StatsSpec {
  site: string
  /** Inclusive. */
  from: Date
  /** Exclusive. */
  to: Date
  includeBots: boolean
  /** Only these persons' events, in both periods. */
  cohort?: Cohort
}

const isoInstant = z.string().describe('ISO 8601 instant, UTC')
// UInt64 arrives as a JSON string; counts stay far below 2^53.
const count = z.coerce.number().int().nonnegative()

export const StatsRowSchema = z.object({
  /** 1 for [from, to), 0 for the previous period of equal length. */
  period: z.coerce.number().int().min(0).max(1),
  events: count,
  pageviews: count,
  visitors: count,
  visits: count,
  bounces: count,
  visit_pageviews: count,
  duration_ms: count,
})
export type StatsRow = z.output<typeof StatsRowSchema>

const metrics = {
  events: z.number().int().describe('every event, page views included'),
  pageviews: z.number().int().describe('events of type page'),
  visitors: z
    .number()
    .int()
    .describe('distinct persons: user_id when known, else anonymous_id; an empty id is nobody'),
  visits: z.number().int().describe('sessions, see docs/metrics.md'),
  views_per_visit: z.number().describe('page views inside visits / visits; 0 without visits'),
  bounce_rate: z
    .number()
    .min(0)
    .max(1)
    .describe('share of visits with exactly one page view; 0 without visits'),
  visit_duration_s: z.number().describe('mean of (last event − first event) per visit, in seconds'),
}

export const StatsResponseSchema = z.object({
  site: z.string(),
  from: isoInstant,
  to: isoInstant,
  include_bots: z.boolean(),
  ...metrics,
  previous: z
    .object({ from: isoInstant, to: isoInstant, ...metrics })
    .describe('the same metrics over the period of equal length that ends at `from`'),
})
export type StatsResponse = z.output<typeof StatsResponseSchema>

/** The period of equal length that ends where the requested one starts. */
export function previousFrom(spec: { from: Date; to: Date }): Date {
  return new Date(2 * spec.from.getTime() - spec.to.getTime())
}

/**
 * Headline numbers for [from, to) and for the period before it, in one scan of
 * [previous from, to): `period` splits the rows, and visits are cut at the boundary so each
 * period is counted exactly as if it had been asked for alone.
 */
export function planStats(spec: StatsSpec) {
  const window = { ...windowParams(spec), from: instantParam('previous_from', previousFrom(spec)) }
  const where = eventsWhere(window, spec.includeBots)
  const period = sql`toUInt8(ts >= ${instantParam('from', spec.from)})`
  const members = cohortTest(spec)
  const personFilter = members === undefined ? {} : { personFilter: { site: window.site, test: members } }
  return compile(sql`SELECT
  e.period AS period,
  e.events AS events,
  e.pageviews AS pageviews,
  e.visitors AS visitors,
  s.visits AS visits,
  s.bounces AS bounces,
  s.visit_pageviews AS visit_pageviews,
  s.duration_ms AS duration_ms
FROM (
  SELECT
    ${period} AS period,
    count() AS events,
    countIf(type = 'page') AS pageviews,
    uniqExactIf(person, person != '') AS visitors
  FROM ${cohortEvents(where, window.site, members)}
  GROUP BY period
) AS e
LEFT JOIN (
  SELECT
    period,
    count() AS visits,
    countIf(pageviews = 1) AS bounces,
    sum(pageviews) AS visit_pageviews,
    sum(ended - started) AS duration_ms
  FROM (
    ${sessionsQuery({ where, period, details: [], ...personFilter })}
  )
  GROUP BY period
) AS s USING (period)
ORDER BY period`)
}

type Metrics = { [K in keyof typeof metrics]: number }

function metricsOf(row: StatsRow | undefined): Metrics {
  const visits = row?.visits ?? 0
  return {
    events: row?.events ?? 0,
    pageviews: row?.pageviews ?? 0,
    visitors: row?.visitors ?? 0,
    visits,
    views_per_visit: visits === 0 ? 0 : (row?.visit_pageviews ?? 0) / visits,
    bounce_rate: visits === 0 ? 0 : (row?.bounces ?? 0) / visits,
    visit_duration_s: visits === 0 ? 0 : (row?.duration_ms ?? 0) / visits / 1000,
  }
}

export const stats = defineInsight({
  kind: 'stats',
  summary: 'Visitors, visits, pageviews, bounce rate, visit duration and events, with the previous period',
  params: z.strictObject({
    ...rangeParams,
    include_bots: flag.default(false),
    cohort: cohortParam.optional(),
    ...explainParam,
  }),
  resolve(params, { site, now, timeZone }): Resolved<StatsSpec> {
    const range = resolveRange(params, now, 7 * DAY_MS, siteZone(timeZone))
    if (typeof range === 'string') return { refused: range }
    if (previousFrom(range) < WINDOW_START) {
      return { refused: `the previous period must start at ${WINDOW_START.toISOString()} or later` }
    }
    const cohort = params.cohort === undefined ? undefined : resolveCohort(params.cohort, range.to)
    if (typeof cohort === 'string') return { refused: cohort }
    return {
      spec: { site, ...range, includeBots: params.include_bots, ...(cohort === undefined ? {} : { cohort }) },
    }
  },
  plan: planStats,
  row: StatsRowSchema,
  respond(spec, rows): StatsResponse {
    const current = rows.find((r) => r.period === 1)
    const previous = rows.find((r) => r.period === 0)
    return {
      site: spec.site,
      from: spec.from.toISOString(),
      to: spec.to.toISOString(),
      include_bots: spec.includeBots,
      ...metricsOf(current),
      previous: {
        from: previousFrom(spec).toISOString(),
        to: spec.from.toISOString(),
        ...metricsOf(previous),
      },
    }
  },
  response: StatsResponseSchema,
})
