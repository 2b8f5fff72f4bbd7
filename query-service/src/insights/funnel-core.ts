import { z } from 'zod'
import { Fragment, join, type Param, param, sql } from '../sql/fragment.ts'
import { type Cohort, cohortParam, inCohort, resolveCohort } from './cohorts.ts'
import { type Dimension, dimension, type EventDimension, eventValue, isVisitDimension } from './dimensions.ts'
import { type Goal, GoalSchema, goalEvents, goalMatches, resolveGoal } from './goals.ts'
import { jsonParam } from './json-param.ts'
import type { NamedRange } from './named-ranges.ts'
import { DAY_MS, flag, type Resolved, rangeParams, resolveRange, WINDOW_END } from './params.ts'
import { personEvents } from './persons.ts'
import { eventsWhere, windowParams } from './predicates.ts'

/**
 * What funnels and funnel persons share: the spec, its parameters and the attempts query,
 * which finds each person's best attempt (docs/funnels-retention.md has the definitions;
 * ADR 0022 why it is arrays and lambdas rather than `windowFunnel`).
 */

export const ORDERS = ['ordered', 'strict', 'any_order'] as const
export type FunnelOrder = (typeof ORDERS)[number]

export const MIN_STEPS = 2
export const MAX_STEPS = 20
export const MAX_EXCLUSIONS = 5
export const DEFAULT_WINDOW_S = 14 * 86_400
export const MAX_WINDOW_S = 365 * 86_400

export interface FunnelSpec {
  site: string
  /** Attempts start (step 1, or any step in any order) in [from, to); later steps may follow up to the window after. */
  from: Date
  to: Date
  includeBots: boolean
  steps: Goal[]
  exclusions: Goal[]
  windowMs: number
  order: FunnelOrder
  /** Only these persons. */
  cohort?: Cohort
}

export const funnelParams = {
  ...rangeParams,
  include_bots: flag.default(false),
  steps: jsonParam(
    z
      .array(GoalSchema)
      .min(MIN_STEPS, { error: `a funnel has ${MIN_STEPS} to ${MAX_STEPS} steps` })
      .max(MAX_STEPS, { error: `a funnel has ${MIN_STEPS} to ${MAX_STEPS} steps` }),
  ),
  exclusions: jsonParam(
    z.array(GoalSchema).max(MAX_EXCLUSIONS, { error: `at most ${MAX_EXCLUSIONS} exclusions` }),
  ).default([]),
  window_s: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_WINDOW_S, { error: `the conversion window is at most ${MAX_WINDOW_S} s (365 days)` })
    .default(DEFAULT_WINDOW_S),
  order: z.enum(ORDERS, { error: `expected one of ${ORDERS.join(', ')}` }).default('ordered'),
  cohort: cohortParam.optional(),
}

type FunnelParams = {
  from?: Date | undefined
  to?: Date | undefined
  range?: NamedRange | undefined
  include_bots: boolean
  steps: z.output<typeof GoalSchema>[]
  exclusions: z.output<typeof GoalSchema>[]
  window_s: number
  order: FunnelOrder
  cohort?: z.output<typeof cohortParam> | undefined
}

/** `tz`: the zone a named range's days are counted in (the kind's `tz`, or the site's zone). */
export function resolveFunnel(
  params: FunnelParams,
  site: string,
  now: Date,
  tz: string,
): Resolved<FunnelSpec> {
  const range = resolveRange(params, now, 30 * DAY_MS, tz)
  if (typeof range === 'string') return { refused: range }
  const windowMs = params.window_s * 1000
  // Later steps are read up to `to` + window; that end must still be a valid instant.
  if (range.to.getTime() + windowMs > WINDOW_END.getTime()) {
    return { refused: `\`to\` plus the conversion window must lie before ${WINDOW_END.toISOString()}` }
  }
  const steps: Goal[] = []
  for (const [i, input] of params.steps.entries()) {
    const goal = resolveGoal(input, `steps.${i}`)
    if (typeof goal === 'string') return { refused: goal }
    steps.push(goal)
  }
  const exclusions: Goal[] = []
  for (const [i, input] of params.exclusions.entries()) {
    const goal = resolveGoal(input, `exclusions.${i}`)
    if (typeof goal === 'string') return { refused: goal }
    exclusions.push(goal)
  }
  const spec: FunnelSpec = {
    site,
    ...range,
    includeBots: params.include_bots,
    steps,
    exclusions,
    windowMs,
    order: params.order,
  }
  if (params.cohort !== undefined) {
    const cohort = resolveCohort(params.cohort, range.to)
    if (typeof cohort === 'string') return { refused: cohort }
    spec.cohort = cohort
  }
  return { spec }
}

/** A breakdown is read from the attempt's first event, so it must be a column of an event. */
export const breakdownDimension = dimension.refine((d) => !isVisitDimension(d), {
  error:
    'a funnel breaks down by an event dimension (page, country, browser, os, device_type, event or properties.<key>), taken at the first step',
})

/** Groups attempts are compared within: the whole range, or one bucket of a trend. */
export interface Grouping {
  /** A String expression of the attempt's start `t0` (Int64 ms); '' is reserved for "the whole range". */
  bucket?: (t0: Fragment) => Fragment
  /** The breakdown dimension, read at the attempt's first event. */
  breakdown?: Dimension
}

function stepMask(steps: readonly Goal[]): Fragment {
  const bits = steps.map((s, i) => sql`if(${goalMatches(s)}, ${param('bit', 'UInt32', 2 ** i)}, 0)`)
  return sql`toUInt32(${join(bits, sql` + `)})`
}

/** Each attempt's step times, starting with `t0`; an attempt reached step k when it holds k times. */
function stepTimes(spec: FunnelSpec, later: Param, all: Param): Fragment {
  switch (spec.order) {
    // Each next step is the first matching event strictly after the previous one and within
    // the deadline. Taking the first is optimal: any later choice leaves less room.
    case 'ordered':
      return sql`arrayFold(
  (acc, i) -> if(length(acc) != i - 1, acc, arrayConcat(acc, arraySlice(arrayFilter((t, m) -> bitTest(m, i - 1) AND t > acc[-1] AND t <= deadline, ts, masks), 1, 1))),
  ${later},
  [t0]
)`
    // The next step must be the next funnel event (in time, then message id) and strictly later.
    case 'strict':
      return sql`arrayFold(
  (acc, i) -> if(length(acc) = i - 1 AND bitTest(fmasks[fpos + i - 1], i - 1) AND fts[fpos + i - 1] > acc[-1] AND fts[fpos + i - 1] <= deadline, arrayPushBack(acc, fts[fpos + i - 1]), acc),
  ${later},
  [t0]
)`
    // Each step's first matching event from t0 to the deadline, in time order: the k-th time is
    // when k different steps had been done.
    case 'any_order':
      return sql`arraySort(arrayFlatten(arrayMap(i -> arraySlice(arrayFilter((t, m) -> bitTest(m, i - 1) AND t >= t0 AND t <= deadline, ts, masks), 1, 1), ${all})))`
  }
}

/**
 * The starts that can be a best attempt. An attempt that reaches only step 1 is never better
 * than the person's first one (same level, later start), so in `ordered` and `strict` every
 * start at or after the person's last step-2 event is dropped but the first; in `any_order`
 * a person who did only one of the steps needs only their first start. Pure pruning: the
 * answer is the same, the lambdas run on far fewer starts (most persons of a page-view
 * funnel never reach step 2). Not for a trend, whose buckets each need their own first start.
 */
function pruneStarts(order: FunnelOrder): Fragment {
  if (order === 'any_order') {
    return sql`if(bitCount(arrayReduce('groupBitOr', masks)) <= 1, arraySlice(all_starts, 1, 1), all_starts)`
  }
  return sql`arrayFilter((j, k) -> k = 1 OR ts[j] < last_step_2, all_starts, arrayEnumerate(all_starts))`
}

/**
 * One row per person and group with the best attempt: `times` (ms, one per step reached) and
 * `value` (the breakdown value at its first event). Best is the most steps reached, then the
 * earliest start (then the first event in message-id order at that millisecond).
 *
 * An ordered funnel over the whole range (no trend) takes the short way, `bestOrderedAttempt`;
 * strict and any-order funnels and trends evaluate every start as an attempt row.
 */
export function bestAttempts(spec: FunnelSpec, grouping: Grouping): Fragment {
  return spec.order === 'ordered' && grouping.bucket === undefined
    ? bestOrderedAttempt(spec, grouping.breakdown)
    : bestOfEveryAttempt(spec, grouping)
}

/** Code-made SQL text (an index or alias built from a step number), never input. */
const code = (text: string | number) => new Fragment([String(text)])

/** Which columns the per-person event arrays carry beyond `ts` and `masks`. */
interface Carried {
  /** Ties at one millisecond are ordered by message id (needed where their order shows). */
  mid: boolean
  excluded: boolean
  value: boolean
}

/**
 * The person's funnel events, sorted by time then message id, as parallel arrays: `ts` (ms),
 * `masks` (a bit per step the event matches) and, as asked, `excl` and `vals`. One row per
 * person with at least one funnel or exclusion event in the window.
 */
function personSequences(
  spec: FunnelSpec,
  grouping: Grouping,
  carried: Carried,
  extra: Fragment[],
): Fragment {
  const through = new Date(spec.to.getTime() + spec.windowMs)
  const window = windowParams({ site: spec.site, from: spec.from, to: through })
  const goals = [...spec.steps, ...spec.exclusions]
  const where = eventsWhere(window, spec.includeBots, [goalEvents(goals)])
  const excluded = spec.exclusions.length === 0 ? sql`0` : join(spec.exclusions.map(goalMatches), sql` OR `)
  const value =
    grouping.breakdown === undefined
      ? sql`''`
      : sql`ifNull(${eventValue(grouping.breakdown as EventDimension)}, '')`
  const fields: Array<[name: string, carry: boolean]> = [
    ['t', true],
    ['mid', carried.mid],
    ['mask', true],
    ['excluded', carried.excluded],
    ['value', carried.value],
  ]
  const kept = fields.filter(([, carry]) => carry).map(([name]) => name)
  const at = (name: string) => code(kept.indexOf(name) + 1)
  const sortKey = carried.mid ? sql`(e.1, e.2)` : sql`e.1`
  const columns = [
    sql`arraySort(e -> ${sortKey}, groupArray((${code(kept.join(', '))}))) AS sorted_events`,
    sql`arrayMap(e -> e.${at('t')}, sorted_events) AS ts`,
    sql`arrayMap(e -> e.${at('mask')}, sorted_events) AS masks`,
    ...(carried.excluded ? [sql`arrayMap(e -> e.${at('excluded')}, sorted_events) AS excl`] : []),
    ...(carried.value ? [sql`arrayMap(e -> e.${at('value')}, sorted_events) AS vals`] : []),
    ...extra,
  ]
  return sql`(
  SELECT
    person,
    ${join(
      columns,
      sql`,
`,
    )}
  FROM (
    SELECT
      person,
      toUnixTimestamp64Milli(ts) AS t,
      message_id AS mid,
      ${stepMask(spec.steps)} AS mask,
      toUInt8(${excluded}) AS excluded,
      ${value} AS value
    FROM ${personEvents(where, window.site)}
    WHERE person != '' AND ${inCohort(spec.cohort, spec.site, spec.includeBots)}
  )
  WHERE mask != 0 OR excluded
  GROUP BY person
)`
}

/**
 * The ordered funnel's best attempt per person in one pass over the person's arrays, with no
 * row per attempt (ADR 0022, revision). Each step k ≥ 2 gets the sorted times of its events;
 * for every start, the next step is the first of those strictly after the previous step and
 * within the start's deadline (the same rule as `stepTimes`), found per step for all starts
 * at once. A start's level is how many steps it reached; the best is the first start with the
 * top level, as starts are in time, then message-id, order. Starts are pruned as in
 * `pruneStarts` (at or after the last step-2 event only the first is kept).
 *
 * Message ids are carried only with a breakdown: two starts in the same millisecond reach the
 * same steps at the same times, so their order shows only in the value read at the start.
 */
function bestOrderedAttempt(spec: FunnelSpec, breakdown: Dimension | undefined): Fragment {
  const n = spec.steps.length
  const later = Array.from({ length: n - 1 }, (_, i) => i + 2)
  const fromMs = param('start_from_ms', 'Int64', spec.from.getTime())
  const toMs = param('start_to_ms', 'Int64', spec.to.getTime())
  const windowMs = param('window_ms', 'Int64', spec.windowMs)
  const hasExclusions = spec.exclusions.length > 0
  const sequences = personSequences(
    spec,
    breakdown === undefined ? {} : { breakdown },
    { mid: breakdown !== undefined, excluded: hasExclusions, value: breakdown !== undefined },
    [],
  )
  const stepTimesOf = later.map(
    (k) => sql`arrayFilter((t, m) -> bitTest(m, ${code(k - 1)}), ts, masks) AS times_${code(k)}`,
  )
  const deadlines = hasExclusions
    ? sql`arrayMap(t0 -> arrayMin(arrayPushBack(arrayFilter(t -> t > t0, excl_times), t0 + ${windowMs})), t0s) AS deadlines`
    : sql`arrayMap(t0 -> t0 + ${windowMs}, t0s) AS deadlines`
  // Per step k, for every start: the time of the step's event, 0 when not reached. A reached
  // step is strictly after its start, and no start precedes WINDOW_START (ms 0), so a step
  // time is never 0; a start's own time may be, so the best times are cut by level, not by 0.
  const reached = later.map((k) => {
    const find = sql`arrayFirst(t -> t > p AND t <= d, times_${code(k)})`
    return k === 2
      ? sql`arrayMap((p, d) -> ${find}, t0s, deadlines) AS at_2`
      : sql`arrayMap((p, d) -> if(p = 0, 0, ${find}), at_${code(k - 1)}, deadlines) AS at_${code(k)}`
  })
  const atArgs = code(later.map((k) => `a${k}`).join(', '))
  const atArrays = code(later.map((k) => `at_${k}`).join(', '))
  const levelSum = code(later.map((k) => `(a${k} != 0)`).join(' + '))
  const bestTimes = code(['t0s[k]', ...later.map((k) => `at_${k}[k]`)].join(', '))
  return sql`SELECT
  person,
  '' AS bucket,
  (arraySlice([${bestTimes}], 1, top), ${breakdown === undefined ? sql`''` : sql`vals[starts[k]]`}, t0s[k]) AS best
FROM (
  SELECT
    person,
    ${
      breakdown === undefined
        ? sql``
        : sql`vals,
`
    }arrayFilter(j -> bitTest(masks[j], 0) AND ts[j] >= ${fromMs} AND ts[j] < ${toMs}, arrayEnumerate(masks)) AS all_starts,
    ${join(
      stepTimesOf,
      sql`,
`,
    )},
    if(empty(times_2), toInt64(0), times_2[-1]) AS last_step_2,
    arrayFilter((j, i) -> i = 1 OR ts[j] < last_step_2, all_starts, arrayEnumerate(all_starts)) AS starts,
    arrayMap(j -> ts[j], starts) AS t0s,
    ${
      hasExclusions
        ? sql`arrayFilter((t, x) -> x = 1, ts, excl) AS excl_times,
`
        : sql``
    }${deadlines},
    ${join(
      reached,
      sql`,
`,
    )},
    arrayMap((${atArgs}) -> 1 + ${levelSum}, ${atArrays}) AS levels,
    arrayMax(levels) AS top,
    arrayFirstIndex(l -> l = top, levels) AS k
  FROM ${sequences}
  WHERE notEmpty(all_starts)
)`
}

/** Every start in range as an attempt row, then the best per person and group. */
function bestOfEveryAttempt(spec: FunnelSpec, grouping: Grouping): Fragment {
  const n = spec.steps.length
  const later = param(
    'later_steps',
    'Array(UInt8)',
    Array.from({ length: n - 1 }, (_, i) => i + 2),
  )
  const all = param(
    'all_steps',
    'Array(UInt8)',
    Array.from({ length: n }, (_, i) => i + 1),
  )
  const fromMs = param('start_from_ms', 'Int64', spec.from.getTime())
  const toMs = param('start_to_ms', 'Int64', spec.to.getTime())
  const windowMs = param('window_ms', 'Int64', spec.windowMs)
  const starts = spec.order === 'any_order' ? sql`masks[j] != 0` : sql`bitTest(masks[j], 0)`
  const buckets = grouping.bucket === undefined ? sql`['']` : sql`['', ${grouping.bucket(sql`t0`)}]`
  const sequences = personSequences(spec, grouping, { mid: true, excluded: true, value: true }, [
    sql`arrayFilter((t, m) -> m != 0, ts, masks) AS fts`,
    sql`arrayFilter(m -> m != 0, masks) AS fmasks`,
    sql`arrayCumSum(arrayMap(m -> toUInt32(m != 0), masks)) AS fpositions`,
    sql`arrayMax(arrayPushBack(arrayFilter((t, m) -> bitTest(m, 1), ts, masks), toInt64(0))) AS last_step_2`,
  ])
  return sql`SELECT
  person,
  bucket,
  argMax((times, value, t0), (length(times), -t0, -j)) AS best
FROM (
  SELECT person, attempt.1 AS times, attempt.2 AS value, attempt.3 AS t0, attempt.4 AS j
  FROM (
    SELECT
      person,
      arrayFilter(j -> ${starts} AND ts[j] >= ${fromMs} AND ts[j] < ${toMs}, arrayEnumerate(masks)) AS all_starts,
      ${grouping.bucket === undefined ? pruneStarts(spec.order) : sql`all_starts`} AS starts,
      arrayMap(j -> ts[j], starts) AS start_ts,
      arrayMap(t0 -> arrayMin(arrayPushBack(arrayFilter((t, x) -> x AND t > t0, ts, excl), t0 + ${windowMs})), start_ts) AS deadlines,
      arrayMap(
        (j, t0, deadline, fpos) -> (${stepTimes(spec, later, all)}, vals[j], t0, j),
        starts,
        start_ts,
        deadlines,
        arrayMap(j -> fpositions[j], starts)
      ) AS attempts
    FROM ${sequences}
  )
  ARRAY JOIN attempts AS attempt
)
ARRAY JOIN ${buckets} AS bucket
GROUP BY person, bucket`
}
