import { storedEventName } from '@sightline/contracts'
import { z } from 'zod'
import { compile, type Fragment, join, param, sql } from '../sql/fragment.ts'
import { type Cohort, cohortParam, inCohort, resolveCohort } from './cohorts.ts'
import { defineInsight } from './define.ts'
import { eventFilters, type Filter, FilterSchema, isVisitDimension, MAX_FILTERS } from './dimensions.ts'
import { jsonParam } from './json-param.ts'
import { DAY_MS, explainParam, flag, type Resolved, rangeParams, resolveRange, siteZone } from './params.ts'
import { personEvents } from './persons.ts'
import { eventsWhere, windowParams } from './predicates.ts'
import { sessionsQuery } from './sessions.ts'

/**
 * Paths: the most common sequences of pages (or events) after a start point, before an end
 * point, or from the start of each visit, as Sankey nodes and links. Definitions in
 * docs/paths-attribution.md. A path is read per unit — a visit (sessions.ts's rules, per person
 * and device) or a person (all their events in range, every device) — in event order (time,
 * then message id). Step 1 is the anchor: the first occurrence of `start` (then the steps after
 * it), of `end` (then the steps before it, nearest first), or the unit's first step. At each step
 * the `top` most frequent values are nodes and the rest fold into one `other` node.
 */

export const STEP_TYPES = ['page', 'event'] as const
export const UNITS = ['session', 'person'] as const
export const MAX_DEPTH = 10
export const MAX_TOP = 50

export interface PathsSpec {
  site: string
  from: Date
  to: Date
  includeBots: boolean
  stepType: (typeof STEP_TYPES)[number]
  unit: (typeof UNITS)[number]
  /** Stored value (an event name resolved); at most one of start and end. */
  start?: string
  end?: string
  depth: number
  top: number
  collapseRepeats: boolean
  /** Event-dimension filters an event must pass to be a step; units are formed from every event. */
  filters: Filter[]
  /** Only these persons' events: their units are formed as without it, everyone else has none. */
  cohort?: Cohort
}

/** Each unit's ordered steps as `steps`, keyed by `unit_id`. */
function sequences(spec: PathsSpec): Fragment {
  const window = windowParams(spec)
  const where = eventsWhere(window, spec.includeBots)
  // Page paths of page views only, or every event's name; with filters, only the events that
  // pass them. Filters pick steps, not events: visits are still split by every event, so a
  // filtered-out page view still keeps its visit alive (the same visits as every other kind).
  const keep = [...(spec.stepType === 'page' ? [sql`type = 'page'`] : []), ...eventFilters(spec.filters)]
  const step = spec.stepType === 'page' ? sql`page_path` : sql`event`
  const value = keep.length === 0 ? step : sql`if(${join(keep, sql` AND `)}, ${step}, NULL)`
  const members = inCohort(spec.cohort, spec.site, spec.includeBots)
  if (spec.unit === 'session') {
    const visits = sessionsQuery({
      where,
      period: sql`toUInt8(1)`,
      details: [],
      person: window.site,
      personFilter: { site: window.site, test: members },
      steps: value,
    })
    return sql`SELECT (person, anonymous_id, visit) AS unit_id, steps
FROM (
  ${visits}
)
WHERE person != ''`
  }
  return sql`SELECT
  tuple(person) AS unit_id,
  arrayMap(x -> x.3, arraySort(groupArray((toUnixTimestamp64Milli(ts), message_id, assumeNotNull(step_value))))) AS steps
FROM (
  SELECT person, ts, message_id, ${value} AS step_value
  FROM ${personEvents(where, window.site)}
  WHERE person != '' AND ${members}
)
WHERE step_value IS NOT NULL
GROUP BY person`
}

/** The anchored path of each unit, at most `depth` steps; units without the anchor have none. */
function anchored(spec: PathsSpec, s: Fragment): Fragment {
  const depth = param('depth', 'UInt32', spec.depth)
  if (spec.start !== undefined) {
    const at = sql`indexOf(${s}, ${param('start', 'String', spec.start)})`
    return sql`if(${at} = 0, [], arraySlice(${s}, ${at}, ${depth}))`
  }
  if (spec.end !== undefined) {
    const at = sql`indexOf(${s}, ${param('end', 'String', spec.end)})`
    // Steps before the end, nearest first: step 1 is the end itself.
    return sql`if(${at} = 0, [], arrayReverse(arraySlice(${s}, greatest(1, ${at} - ${depth} + 1), least(${at}, ${depth}))))`
  }
  return sql`arraySlice(${s}, 1, ${depth})`
}

export function planPaths(spec: PathsSpec) {
  const raw = sql`steps`
  const collapsed = spec.collapseRepeats
    ? sql`arrayFilter((x, i) -> i = 1 OR x != steps[i - 1], steps, arrayEnumerate(steps))`
    : raw
  const top = param('top', 'UInt32', spec.top)
  return compile(sql`SELECT
  step,
  other,
  name,
  has_next,
  next_other,
  next_name,
  count() AS units,
  any(folded) AS folded
FROM (
  SELECT
    *,
    leadInFrame(other) OVER unit AS next_other,
    leadInFrame(name) OVER unit AS next_name,
    if(other, uniqExact(label) OVER (PARTITION BY step, other), 1) AS folded
  FROM (
    SELECT
      *,
      dense_rank() OVER (PARTITION BY step ORDER BY at_step DESC, label) > ${top} AS other,
      if(other, '', label) AS name
    FROM (
      SELECT unit_id, label, step, step < length(path) AS has_next, count() OVER (PARTITION BY step, label) AS at_step
      FROM (
        SELECT unit_id, ${anchored(spec, collapsed)} AS path
        FROM (
          ${sequences(spec)}
        )
      )
      ARRAY JOIN path AS label, arrayEnumerate(path) AS step
    )
  )
  WINDOW unit AS (PARTITION BY unit_id ORDER BY step ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING)
)
GROUP BY step, other, name, has_next, next_other, next_name
ORDER BY step, other, name, has_next, next_other, next_name`)
}

const count = z.coerce.number().int().nonnegative()
const bool = z
  .union([z.boolean(), z.coerce.number().int().min(0).max(1)])
  .transform((v) => v === true || v === 1)
export const PathsRowSchema = z.object({
  step: z.coerce.number().int().min(1).max(MAX_DEPTH),
  other: bool,
  name: z.string(),
  has_next: bool,
  next_other: bool,
  next_name: z.string(),
  units: count,
  folded: count,
})
export type PathsRow = z.output<typeof PathsRowSchema>

const NodeSchema = z.object({
  index: z.number().int().describe('position in `nodes`; links refer to it'),
  step: z.number().int().describe('1 = the anchor (start, end, or the first step)'),
  name: z.string().nullable().describe('the page path or event name; null for the `other` node'),
  other: z.boolean().describe('true for the node that folds every value after the top N at this step'),
  values: z.number().int().describe('distinct values in the node (1, or how many `other` folds)'),
  units: z.number().int().describe('visits (or persons) at this node'),
  dropoff: z.number().int().describe('units whose path ends at this node'),
})
export const PathsResponseSchema = z.object({
  site: z.string(),
  from: z.string(),
  to: z.string(),
  include_bots: z.boolean(),
  step_type: z.enum(STEP_TYPES),
  unit: z.enum(UNITS),
  start: z.string().nullable(),
  end: z.string().nullable(),
  depth: z.number().int(),
  top: z.number().int(),
  collapse_repeats: z.boolean(),
  filters: z.array(
    z.object({ dimension: z.string(), op: z.string(), value: z.union([z.string(), z.number()]) }),
  ),
  units: z.number().int().describe('units with a path (those that reached the anchor)'),
  nodes: z.array(NodeSchema),
  links: z.array(z.object({ source: z.number().int(), target: z.number().int(), units: z.number().int() })),
})
export type PathsResponse = z.output<typeof PathsResponseSchema>
type Node = z.output<typeof NodeSchema>

/** Nodes ordered by step, then units (most first), then name, `other` last in its step. */
export function pathsGraph(rows: readonly PathsRow[]): Pick<PathsResponse, 'units' | 'nodes' | 'links'> {
  const nodes = new Map<string, Omit<Node, 'index'>>()
  const keyOf = (step: number, other: boolean, name: string) => JSON.stringify([step, other, name])
  for (const r of rows) {
    const key = keyOf(r.step, r.other, r.name)
    const node = nodes.get(key) ?? {
      step: r.step,
      name: r.other ? null : r.name,
      other: r.other,
      values: r.folded,
      units: 0,
      dropoff: 0,
    }
    node.units += r.units
    if (!r.has_next) node.dropoff += r.units
    nodes.set(key, node)
  }
  const ordered = [...nodes.entries()].sort(
    ([, a], [, b]) =>
      a.step - b.step ||
      Number(a.other) - Number(b.other) ||
      b.units - a.units ||
      ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : 0),
  )
  const index = new Map(ordered.map(([key], i) => [key, i]))
  const links = rows
    .filter((r) => r.has_next)
    .map((r) => ({
      source: index.get(keyOf(r.step, r.other, r.name))!,
      target: index.get(keyOf(r.step + 1, r.next_other, r.next_name))!,
      units: r.units,
    }))
    .sort((a, b) => a.source - b.source || b.units - a.units || a.target - b.target)
  return {
    units: ordered.filter(([, n]) => n.step === 1).reduce((s, [, n]) => s + n.units, 0),
    nodes: ordered.map(([, n], i) => ({ index: i, ...n })),
    links,
  }
}

const stepValue = z.string().min(1).max(2000)

export const paths = defineInsight({
  kind: 'paths',
  summary: 'The most common next or previous pages or events, as Sankey nodes and links',
  params: z.strictObject({
    ...rangeParams,
    include_bots: flag.default(false),
    step_type: z.enum(STEP_TYPES, { error: `expected one of ${STEP_TYPES.join(', ')}` }).default('page'),
    unit: z.enum(UNITS, { error: `expected one of ${UNITS.join(', ')}` }).default('session'),
    start: stepValue.optional(),
    end: stepValue.optional(),
    depth: z.coerce.number().int().min(2).max(MAX_DEPTH).default(5),
    top: z.coerce.number().int().min(1).max(MAX_TOP).default(5),
    collapse_repeats: flag.default(false),
    filters: jsonParam(
      z
        .array(
          FilterSchema.refine((f) => !isVisitDimension(f.dimension), {
            error:
              'paths filters pick the events that are steps: use an event dimension (page, country, …, properties.<key>)',
          }),
        )
        .max(MAX_FILTERS, { error: `at most ${MAX_FILTERS} filters` }),
    ).default([]),
    cohort: cohortParam.optional(),
    ...explainParam,
  }),
  resolve(params, { site, now, timeZone }): Resolved<PathsSpec> {
    const range = resolveRange(params, now, 7 * DAY_MS, siteZone(timeZone))
    if (typeof range === 'string') return { refused: range }
    if (params.start !== undefined && params.end !== undefined) {
      return { refused: 'give `start` or `end`, not both' }
    }
    // `pageview` is the public name of page views when steps are events.
    const stored = (v: string | undefined) =>
      v === undefined ? undefined : params.step_type === 'event' ? storedEventName(v) : v
    const start = stored(params.start)
    const end = stored(params.end)
    const cohort = params.cohort === undefined ? undefined : resolveCohort(params.cohort, range.to)
    if (typeof cohort === 'string') return { refused: cohort }
    return {
      spec: {
        site,
        ...range,
        includeBots: params.include_bots,
        stepType: params.step_type,
        unit: params.unit,
        ...(start === undefined ? {} : { start }),
        ...(end === undefined ? {} : { end }),
        depth: params.depth,
        top: params.top,
        collapseRepeats: params.collapse_repeats,
        filters: params.filters,
        ...(cohort === undefined ? {} : { cohort }),
      },
    }
  },
  plan: planPaths,
  row: PathsRowSchema,
  respond(spec, rows): PathsResponse {
    return {
      site: spec.site,
      from: spec.from.toISOString(),
      to: spec.to.toISOString(),
      include_bots: spec.includeBots,
      step_type: spec.stepType,
      unit: spec.unit,
      start: spec.start ?? null,
      end: spec.end ?? null,
      depth: spec.depth,
      top: spec.top,
      collapse_repeats: spec.collapseRepeats,
      filters: spec.filters,
      ...pathsGraph(rows),
    }
  },
  response: PathsResponseSchema,
})
