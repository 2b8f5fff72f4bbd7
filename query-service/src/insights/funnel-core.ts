import { z } from 'zod'
import { code, type Fragment, join, type Param, param, sql } from '../sql/fragment.ts'
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

/**
 * Which starts can be a best attempt, as a predicate on a start's time `t` and `h`, 1 for
 * the first start of its group (`start_heads`). An attempt that reaches only step 1 is never
 * better than the first start of its group (same level, later start), so in `ordered` every
 * start at or after the person's last step-2 event is dropped but the group's first; in
 * `any_order` a person who did only one of the steps needs only each group's first start.
 * Pure pruning: the answer is the same, the lambdas run on far fewer starts (most persons of
 * a page-view funnel never reach step 2). The group is the whole range, or in a trend the
 * start's bucket.
 */
function keptStart(order: FunnelOrder): Fragment {
  return order === 'any_order' ? sql`h OR several_steps` : sql`h OR t < last_step_2`
}

/** Filters a per-event array down to the kept starts, as `t0s` is filtered from `ts`. */
function atKeptStarts(order: FunnelOrder, perEvent: Fragment): Fragment {
  return sql`arrayFilter((x, t, h) -> ${keptStart(order)}, arrayFilter((x, f) -> f, ${perEvent}, start_flags), start_times, start_heads)`
}

/**
 * `<name>`: per element of `times`, its trend bucket; and `<heads>`: 1 where the bucket
 * differs from the previous element's (times are sorted, so a bucket's elements are one run).
 */
function bucketRuns(
  bucket: (t: Fragment) => Fragment,
  times: Fragment,
  name: string,
  heads: string,
): Fragment[] {
  return [
    sql`arrayMap(t -> ${bucket(sql`t`)}, ${times}) AS ${code(name)}`,
    sql`arrayMap((b, p) -> b != p, ${code(name)}, arrayPushFront(arrayPopBack(${code(name)}), '')) AS ${code(heads)}`,
  ]
}

/**
 * The answer of a one-pass plan, from its per-start `levels` (0: not a start) over the
 * person's rows: one row per person for the whole range ('' bucket), the first start with the
 * top level (`best` and `value` read that start `k` and its level `top`).
 *
 * A trend adds one row per bucket the person started in: the first start with the top level
 * of the bucket's run of starts (starts are in time order, so a bucket's starts are one run;
 * `arraySplit` cuts `levels` at each bucket change). The choice is marked per start with
 * zipped operations only (`timesPerStart` is every start's times), and only the chosen
 * tuples are `ARRAY JOIN`ed, so the person's arrays are not copied per bucket. A bucket row's
 * value is '': the breakdown reads only the whole range's.
 */
function bestOfLevels(
  rows: { from: Fragment; where?: Fragment },
  columns: Fragment[],
  pick: {
    bucket?: (t: Fragment) => Fragment
    startTimes: string
    best: Fragment
    value: Fragment
    timesPerStart: Fragment
  },
): Fragment {
  const t0 = code(pick.startTimes)
  const where = rows.where === undefined ? sql`` : sql`\nWHERE ${rows.where}`
  const chosen = [sql`arrayMax(levels) AS top`, sql`arrayFirstIndex(l -> l = top, levels) AS k`]
  const whole = sql`(${pick.best}, ${pick.value}, ${t0}[k])`
  if (pick.bucket === undefined) {
    return sql`SELECT person, '' AS bucket, ${whole} AS best
FROM (
  SELECT
    person,
    ${join([...columns, ...chosen], sql`,\n`)}
  FROM ${rows.from}${where}
)
WHERE top > 0`
  }
  const picks = [
    ...chosen,
    ...bucketRuns(pick.bucket, t0, 'level_buckets', 'level_heads'),
    sql`arraySplit((l, h) -> h, levels, level_heads) AS runs`,
    // 1 at each run's first start with the run's top level.
    sql`arrayFlatten(arrayMap((r, top) -> arrayMap((l, c) -> l = top AND c = 1, r, arrayCumSum(arrayMap(l -> l = top, r))), runs, arrayMap(r -> arrayMax(r), runs))) AS run_bests`,
    sql`arrayFilter((x, b, l) -> b AND l > 0, arrayMap((bk, times, t) -> (bk, (times, '', t)), level_buckets, ${pick.timesPerStart}, ${t0}), run_bests, levels) AS bucket_bests`,
    sql`arrayPushFront(bucket_bests, ('', ${whole})) AS picks`,
  ]
  return sql`SELECT person, pick.1 AS bucket, pick.2 AS best
FROM (
  SELECT
    person,
    ${join([...columns, ...picks], sql`,\n`)}
  FROM ${rows.from}${where}
)
ARRAY JOIN picks AS pick
WHERE top > 0`
}

/**
 * One row per person and group with the best attempt: `times` (ms, one per step reached) and
 * `value` (the breakdown value at its first event). Best is the most steps reached, then the
 * earliest start (then the first event in message-id order at that millisecond). Each plan
 * evaluates all of a person's starts in one pass over their arrays, with no row per attempt
 * (ADR 0022, revision): `bestAttemptPerPerson` (ordered, any order) or `bestStrictAttempt`.
 */
export function bestAttempts(spec: FunnelSpec, grouping: Grouping): Fragment {
  return spec.order === 'strict'
    ? bestStrictAttempt(spec, grouping)
    : bestAttemptPerPerson(spec, spec.order, grouping)
}

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
 * The best attempt per person (and trend bucket) in one pass over the person's arrays. Each
 * step gets the sorted times of its events (`times_k`), and for all starts at once each
 * step's time is found by the order mode's rule:
 * - `ordered`: step k is the first event of step k strictly after step k − 1 and within the
 *   start's deadline (taking the first is optimal: any later choice leaves less room);
 * - `any_order`: each step's first event from the start to the deadline; the times sorted,
 *   so the k-th time is when k different steps had been done.
 * A start's level is how many steps it reached; the best is the first start with the top
 * level (`bestOfLevels`), as starts are in time, then message-id, order. Starts are pruned as
 * in `keptStart`.
 *
 * Message ids are carried only with a breakdown: two starts in one millisecond reach the same
 * steps at the same times (and fall in the same bucket), so their order shows only in the
 * value read at the start.
 */
function bestAttemptPerPerson(
  spec: FunnelSpec,
  order: 'ordered' | 'any_order',
  grouping: Grouping,
): Fragment {
  const { breakdown, bucket } = grouping
  const n = spec.steps.length
  const steps = Array.from({ length: n }, (_, i) => i + 1)
  const later = steps.slice(1)
  const { fromMs, toMs, windowMs } = attemptBounds(spec)
  const hasExclusions = spec.exclusions.length > 0
  const sequences = personSequences(
    spec,
    breakdown === undefined ? {} : { breakdown },
    { mid: breakdown !== undefined, excluded: hasExclusions, value: breakdown !== undefined },
    [],
  )
  const k = code
  // `ordered`: sorted times of each later step's events, searched from each start.
  const timesOf =
    order === 'any_order'
      ? [sql`bitCount(arrayReduce('groupBitOr', masks)) > 1 AS several_steps`]
      : later.map((s) => sql`arrayFilter((t, m) -> bitTest(m, ${k(s - 1)}), ts, masks) AS times_${k(s)}`)
  const reached = order === 'any_order' ? anyOrderTimes(steps) : orderedTimes(later)
  const columns: Fragment[] = [
    ...(breakdown === undefined ? [] : [sql`vals`]),
    // Zipped over the events, never indexing them from a lambda: a lambda that reads a whole
    // array copies it for every element.
    sql`arrayMap((t, m) -> ${order === 'any_order' ? sql`m != 0` : sql`bitTest(m, 0)`} AND t >= ${fromMs} AND t < ${toMs}, ts, masks) AS start_flags`,
    sql`arrayFilter((t, f) -> f, ts, start_flags) AS start_times`,
    ...(bucket === undefined
      ? [sql`arrayMap(i -> i = 1, arrayEnumerate(start_times)) AS start_heads`]
      : bucketRuns(bucket, sql`start_times`, 'start_buckets', 'start_heads')),
    ...timesOf,
    ...(order === 'any_order' ? [] : [sql`if(empty(times_2), toInt64(0), times_2[-1]) AS last_step_2`]),
    sql`arrayFilter((t, h) -> ${keptStart(order)}, start_times, start_heads) AS t0s`,
    ...(breakdown === undefined ? [] : [sql`${atKeptStarts(order, sql`vals`)} AS t0_vals`]),
    ...deadlineColumns(hasExclusions, windowMs, sql`t0s`),
    ...reached.columns,
  ]
  return bestOfLevels({ from: sequences, where: sql`notEmpty(start_times)` }, columns, {
    ...(bucket === undefined ? {} : { bucket }),
    startTimes: 't0s',
    best: reached.best,
    value: breakdown === undefined ? sql`''` : sql`t0_vals[k]`,
    timesPerStart: reached.perStart,
  })
}

/** The bounds of an attempt: its start in [from, to), its steps up to the window after it. */
function attemptBounds(spec: FunnelSpec) {
  return {
    fromMs: param('start_from_ms', 'Int64', spec.from.getTime()),
    toMs: param('start_to_ms', 'Int64', spec.to.getTime()),
    windowMs: param('window_ms', 'Int64', spec.windowMs),
  }
}

/**
 * `deadlines`, per start in `startTimes`: the window's end, or the first exclusion event
 * strictly after the start when that comes sooner.
 */
function deadlineColumns(hasExclusions: boolean, windowMs: Param, startTimes: Fragment): Fragment[] {
  if (!hasExclusions) return [sql`arrayMap(t0 -> t0 + ${windowMs}, ${startTimes}) AS deadlines`]
  return [
    sql`arrayFilter((t, x) -> x = 1, ts, excl) AS excl_times`,
    sql`arrayMap(t0 -> arrayMin(arrayPushBack(arrayFilter(t -> t > t0, excl_times), t0 + ${windowMs})), ${startTimes}) AS deadlines`,
  ]
}

/**
 * The pieces of a chain of `at_k` columns (0: step k not reached) that a level and the best
 * start's times are made of: the lambda's arguments, the arrays, the count of steps reached,
 * and the times (the best start's, and every start's), starting with its own from
 * `startTimes`. The best start is `k`, its level `top` (as `bestOfLevels` names them).
 */
function chainParts(later: readonly number[], startTimes: string) {
  const args = code(later.map((s) => `a${s}`).join(', '))
  const arrays = code(later.map((s) => `at_${s}`).join(', '))
  const times = code([`${startTimes}[k]`, ...later.map((s) => `at_${s}[k]`)].join(', '))
  return {
    args,
    arrays,
    reachedCount: code(later.map((s) => `(a${s} != 0)`).join(' + ')),
    /** The best start's times, cut at its level. */
    best: sql`arraySlice([${times}], 1, top)`,
    /** Every start's times, cut at its level (what a trend picks from). */
    perStart: sql`arrayMap((t, ${args}, l) -> arraySlice([t, ${args}], 1, l), ${code(startTimes)}, ${arrays}, levels)`,
  }
}

/** Per-start step columns ending in `levels`, and the best start's times (given `k` and `top`). */
interface StepTimes {
  columns: Fragment[]
  best: Fragment
  /** Every start's times, cut at its level (what a trend picks from). */
  perStart: Fragment
}

/**
 * `ordered`: per later step k and start, the time the chain reached step k, 0 when it did not
 * (`at_k`); then `levels`, and the best start's times. A reached step is strictly after its
 * start, and no start precedes WINDOW_START (ms 0), so a step time is never 0; a start's own
 * time may be, so times are cut by level, not by 0.
 */
function orderedTimes(later: readonly number[]): StepTimes {
  const k = code
  // p: the previous step's time (the start's for step 2), d: the start's deadline.
  const reached = later.map((s) => {
    const find = sql`arrayFirst(t -> t > p AND t <= d, times_${k(s)})`
    return s === 2
      ? sql`arrayMap((p, d) -> ${find}, t0s, deadlines) AS at_2`
      : sql`arrayMap((p, d) -> if(p = 0, 0, ${find}), at_${k(s - 1)}, deadlines) AS at_${k(s)}`
  })
  const { args, arrays, reachedCount, best, perStart } = chainParts(later, 't0s')
  return {
    columns: [...reached, sql`arrayMap((${args}) -> 1 + ${reachedCount}, ${arrays}) AS levels`],
    best,
    perStart,
  }
}

/** Later than any real time: "this step does not happen after here". */
const NEVER = code('toInt64(9223372036854775807)')

/**
 * `any_order`: per step and start, the time of the step's first event from the start on
 * (`nx_s`), found for every event at once with no lambda reading a whole array: a reverse fill
 * carries each step event's time back over the events before it (a sentinel ends the array),
 * and a forward fill spreads a millisecond's first value over its ties, since an event of
 * the same millisecond sorted before the start counts too. The start's times are those
 * found by its deadline, sorted; its level is how many. A first version looked each step up
 * from a lambda over the starts, which copied the step's times per start and failed the read
 * memory limit on 1M events (ADR 0022, second revision).
 */
function anyOrderTimes(steps: readonly number[]): StepTimes {
  const k = code
  const found = steps.flatMap((s) => [
    sql`arrayFill((x, h) -> h, arrayPopBack(arrayReverseFill((t, m) -> bitTest(m, ${k(s - 1)}), arrayPushBack(ts, ${NEVER}), arrayPushBack(masks, toUInt32(0)))), ms_heads) AS next_${k(s)}`,
    sql`${atKeptStarts('any_order', sql`next_${k(s)}`)} AS nx_${k(s)}`,
  ])
  const args = code(steps.map((s) => `x${s}`).join(', '))
  const arrays = code(steps.map((s) => `nx_${s}`).join(', '))
  return {
    columns: [
      sql`arrayMap((t, p) -> t != p, ts, arrayPushFront(arrayPopBack(ts), toInt64(-1))) AS ms_heads`,
      ...found,
      sql`arrayMap((${args}, d) -> arraySort(arrayFilter(t -> t <= d, [${args}])), ${arrays}, deadlines) AS found_times`,
      sql`arrayMap(f -> length(f), found_times) AS levels`,
    ],
    best: sql`found_times[k]`,
    perStart: sql`found_times`,
  }
}

/**
 * `strict` over the whole range, one pass per person with no row per attempt. Step k of the
 * attempt that starts at funnel event i must be funnel event i + k − 1 (the next funnel
 * events, in time then message-id order), match step k, and be strictly later than step k − 1
 * and within the start's deadline. Every funnel event is evaluated as a possible start with
 * its followers shifted into line (`arrayShiftLeft`), so each step is one zipped `arrayMap`:
 * no lambda reads a whole array, which is what made a per-start lookup slower than attempt
 * rows. Levels are 0 for events that cannot start; the best is the first with the top level.
 * Reached step times are never 0 (see `orderedTimes`).
 */
function bestStrictAttempt(spec: FunnelSpec, grouping: Grouping): Fragment {
  const { breakdown, bucket } = grouping
  const k = code
  const n = spec.steps.length
  const later = Array.from({ length: n - 1 }, (_, i) => i + 2)
  const { fromMs, toMs, windowMs } = attemptBounds(spec)
  const hasExclusions = spec.exclusions.length > 0
  const sequences = personSequences(
    spec,
    breakdown === undefined ? {} : { breakdown },
    { mid: true, excluded: hasExclusions, value: breakdown !== undefined },
    [],
  )
  // p: the previous step's time (the start's for step 2); c, m: the time and mask of the funnel
  // event s − 1 places after the start; d: the start's deadline.
  const reached = later.map((s) => {
    const previous = s === 2 ? sql`fts` : sql`at_${k(s - 1)}`
    const alive = s === 2 ? sql`` : sql`p != 0 AND `
    return sql`arrayMap((p, c, m, d) -> if(${alive}bitTest(m, ${k(s - 1)}) AND c > p AND c <= d, c, 0), ${previous}, arrayShiftLeft(fts, ${k(s - 1)}), arrayShiftLeft(fmasks, ${k(s - 1)}), deadlines) AS at_${k(s)}`
  })
  const { args, arrays, reachedCount, best, perStart } = chainParts(later, 'fts')
  const columns: Fragment[] = [
    sql`arrayFilter((t, m) -> m != 0, ts, masks) AS fts`,
    sql`arrayFilter(m -> m != 0, masks) AS fmasks`,
    ...(breakdown === undefined ? [] : [sql`arrayFilter((v, m) -> m != 0, vals, masks) AS fvals`]),
    ...deadlineColumns(hasExclusions, windowMs, sql`fts`),
    ...reached,
    sql`arrayMap((t, m, ${args}) -> if(bitTest(m, 0) AND t >= ${fromMs} AND t < ${toMs}, 1 + ${reachedCount}, 0), fts, fmasks, ${arrays}) AS levels`,
  ]
  return bestOfLevels({ from: sequences }, columns, {
    ...(bucket === undefined ? {} : { bucket }),
    startTimes: 'fts',
    best,
    value: breakdown === undefined ? sql`''` : sql`fvals[k]`,
    timesPerStart: perStart,
  })
}
