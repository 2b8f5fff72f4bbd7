import { z } from 'zod'
import { compile, type Fragment, type Param, param, sql } from '../sql/fragment.ts'
import { type Cohort, cohortParam, cohortTest, resolveCohort } from './cohorts.ts'
import { defineInsight } from './define.ts'
import {
  type Dimension,
  dimension,
  type EventDimension,
  eventFilters,
  eventValue,
  type Filter,
  filtersParam,
  isVisitDimension,
  patternPreflight,
  VISIT_DIMENSIONS,
  type VisitDimension,
  visitFilters,
} from './dimensions.ts'
import { DAY_MS, explainParam, flag, type Resolved, rangeParams, resolveRange, siteZone } from './params.ts'
import { eventsWhere, windowParams } from './predicates.ts'
import { sessionsQuery } from './sessions.ts'

export interface BreakdownSpec {
  site: string
  from: Date
  to: Date
  includeBots: boolean
  by: Dimension
  limit: number
  offset: number
  filters: Filter[]
  /** Only these persons' events, dropped before visits are formed (like an event filter). */
  cohort?: Cohort
}

export const MAX_LIMIT = 1_000
export const MAX_OFFSET = 100_000

/**
 * One row per visit and value: a visit dimension gives each visit one value; an event
 * dimension gives a visit each distinct value among its events (its page views per value).
 */
function perVisitValue(spec: BreakdownSpec, where: Fragment, site: Param): Fragment {
  const period = sql`toUInt8(1)`
  const persons = { site }
  const members = cohortTest(spec)
  const personFilter = members === undefined ? {} : { personFilter: { site, test: members } }
  // The visit columns read here: the one broken down by (if it is one) and those filtered on.
  const details = [spec.by, ...spec.filters.map((f) => f.dimension)].filter(isVisitDimension)
  if (isVisitDimension(spec.by)) {
    return sql`SELECT
  ${VISIT_DIMENSIONS[spec.by as VisitDimension]} AS value,
  persons,
  pageviews AS value_pageviews,
  pageviews AS visit_pageviews,
  ended - started AS duration
FROM (
  ${sessionsQuery({ where, period, persons, details, ...personFilter })}
)
WHERE ${visitFilters(spec.filters)}`
  }
  return sql`SELECT
  value,
  persons,
  countEqual(page_values, value) AS value_pageviews,
  pageviews AS visit_pageviews,
  ended - started AS duration
FROM (
  ${sessionsQuery({ where, period, persons, details, ...personFilter, eventValue: eventValue(spec.by as EventDimension) })}
)
ARRAY JOIN event_values AS value
WHERE ${visitFilters(spec.filters)}`
}

/**
 * Groups ranked by visits (then value), the requested page of them, and every group after
 * the page folded into one `other` row; `bucket` 0 is the groups before the page (only its
 * `groups`, the number of distinct values, is read). Visitors of a row are the distinct
 * persons of its visits, so `other` is exact rather than a difference of counts.
 */
export function planBreakdown(spec: BreakdownSpec) {
  const window = windowParams(spec)
  const where = eventsWhere(window, spec.includeBots, eventFilters(spec.filters))
  const offset = param('offset', 'UInt32', spec.offset)
  const end = param('page_end', 'UInt32', spec.offset + spec.limit)
  return compile(sql`SELECT
  multiIf(rank <= ${offset}, 0, rank <= ${end}, 1, 2) AS bucket,
  if(bucket = 1, value, '') AS label,
  any(groups) AS groups,
  uniqExactArray(persons) AS visitors,
  count() AS visits,
  sum(value_pageviews) AS pageviews,
  countIf(visit_pageviews = 1) AS bounces,
  sum(duration) AS duration_ms
FROM (
  SELECT *, dense_rank() OVER (ORDER BY value_visits DESC, value) AS rank
  FROM (
    SELECT *, count() OVER (PARTITION BY value) AS value_visits, uniqExact(value) OVER () AS groups
    FROM (
      ${perVisitValue(spec, where, window.site)}
    )
  )
)
GROUP BY bucket, label
ORDER BY bucket, visits DESC, label`)
}

const count = z.coerce.number().int().nonnegative()
export const BreakdownRowSchema = z.object({
  bucket: z.coerce.number().int().min(0).max(2),
  label: z.string(),
  groups: count,
  visitors: count,
  visits: count,
  pageviews: count,
  bounces: count,
  duration_ms: count,
})
export type BreakdownRow = z.output<typeof BreakdownRowSchema>

const GroupSchema = z.object({
  visitors: z.number().int().describe('distinct persons of the visits in this row'),
  visits: z.number().int(),
  pageviews: z.number().int(),
  bounce_rate: z.number().min(0).max(1),
  visit_duration_s: z.number(),
})
export const BreakdownResponseSchema = z.object({
  site: z.string(),
  from: z.string(),
  to: z.string(),
  include_bots: z.boolean(),
  by: z.string(),
  limit: z.number().int(),
  offset: z.number().int(),
  filters: z.array(
    z.object({ dimension: z.string(), op: z.string(), value: z.union([z.string(), z.number()]) }),
  ),
  total_groups: z.number().int().describe('distinct values of `by`, for pagination'),
  rows: z.array(GroupSchema.extend({ value: z.string() })),
  other: GroupSchema.nullable().describe('every group after this page, as one row; null when there is none'),
})
export type BreakdownResponse = z.output<typeof BreakdownResponseSchema>

function group(row: BreakdownRow) {
  return {
    visitors: row.visitors,
    visits: row.visits,
    pageviews: row.pageviews,
    bounce_rate: row.visits === 0 ? 0 : row.bounces / row.visits,
    visit_duration_s: row.visits === 0 ? 0 : row.duration_ms / row.visits / 1000,
  }
}

export const breakdown = defineInsight({
  kind: 'breakdown',
  summary: 'Top values of a dimension with visitors, visits, pageviews, bounce rate and duration',
  params: z.strictObject({
    ...rangeParams,
    include_bots: flag.default(false),
    by: dimension,
    limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(10),
    offset: z.coerce.number().int().min(0).max(MAX_OFFSET).default(0),
    filters: filtersParam.default([]),
    cohort: cohortParam.optional(),
    ...explainParam,
  }),
  resolve(params, { site, now, timeZone }): Resolved<BreakdownSpec> {
    const range = resolveRange(params, now, 7 * DAY_MS, siteZone(timeZone))
    if (typeof range === 'string') return { refused: range }
    const cohort = params.cohort === undefined ? undefined : resolveCohort(params.cohort, range.to)
    if (typeof cohort === 'string') return { refused: cohort }
    const { by, limit, offset, filters } = params
    const spec: BreakdownSpec = {
      site,
      ...range,
      includeBots: params.include_bots,
      by,
      limit,
      offset,
      filters,
    }
    return { spec: cohort === undefined ? spec : { ...spec, cohort } }
  },
  plan: planBreakdown,
  preflight: (spec) => patternPreflight(spec.filters),
  row: BreakdownRowSchema,
  respond(spec, rows): BreakdownResponse {
    const other = rows.find((r) => r.bucket === 2)
    return {
      site: spec.site,
      from: spec.from.toISOString(),
      to: spec.to.toISOString(),
      include_bots: spec.includeBots,
      by: spec.by,
      limit: spec.limit,
      offset: spec.offset,
      filters: spec.filters,
      total_groups: rows[0]?.groups ?? 0,
      rows: rows.filter((r) => r.bucket === 1).map((r) => ({ value: r.label, ...group(r) })),
      other: other === undefined ? null : group(other),
    }
  },
  response: BreakdownResponseSchema,
})
