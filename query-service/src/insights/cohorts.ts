import { z } from 'zod'
import { type Fragment, type Param, sql } from '../sql/fragment.ts'
import { type Goal, GoalSchema, goalMatches, resolveGoal } from './goals.ts'
import { jsonParam } from './json-param.ts'
import { instant, WINDOW_END, WINDOW_START } from './params.ts'
import { personEvents } from './persons.ts'
import { eventsWhere, windowParams } from './predicates.ts'

/**
 * A cohort given inline: the persons who did a goal in `[from, to)` (docs/funnels-retention.md,
 * "Cohorts"). Used as a filter, it keeps only those persons, whichever of their ids the goal
 * was done under (membership is by merged person, like every count).
 */
export interface Cohort {
  did: Goal
  from: Date
  to: Date
}

export const cohortParam = jsonParam(z.strictObject({ did: GoalSchema, from: instant, to: instant }))

export function resolveCohort(input: z.output<typeof cohortParam>): Cohort | string {
  if (input.from.getTime() >= input.to.getTime()) return 'cohort: `from` must be earlier than `to`'
  if (input.from < WINDOW_START || input.to > WINDOW_END) {
    return `cohort: the range must lie within ${WINDOW_START.toISOString()} and ${WINDOW_END.toISOString()}`
  }
  const did = resolveGoal(input.did, 'cohort.did')
  if (typeof did === 'string') return did
  return { did, from: input.from, to: input.to }
}

/** `person IN (the cohort)`, for a query's person column; TRUE without a cohort. */
export function inCohort(cohort: Cohort | undefined, site: string, includeBots: boolean): Fragment {
  if (cohort === undefined) return sql`1`
  const window = windowParams({ site, from: cohort.from, to: cohort.to })
  const where = eventsWhere(window, includeBots, [goalMatches(cohort.did)])
  return sql`person IN (
  SELECT person
  FROM ${personEvents(where, window.site as Param)}
  WHERE person != ''
)`
}

/** What a spec with an optional cohort gives the helpers below. */
export interface CohortScope {
  site: string
  includeBots: boolean
  cohort?: Cohort | undefined
}

/**
 * The cohort test for a plan that must stay as it was without one: `inCohort`, or undefined
 * when the spec has no cohort. Built once per plan, so every use shares its parameters.
 */
export function cohortTest(spec: CohortScope): Fragment | undefined {
  return spec.cohort === undefined ? undefined : inCohort(spec.cohort, spec.site, spec.includeBots)
}

/** `personEvents`, narrowed to the persons passing `test` (from cohortTest) when there is one. */
export function cohortEvents(where: Fragment, site: Param, test: Fragment | undefined): Fragment {
  if (test === undefined) return personEvents(where, site)
  return sql`(
  SELECT *
  FROM ${personEvents(where, site)}
  WHERE ${test}
)`
}
