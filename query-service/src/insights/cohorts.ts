import { z } from 'zod'
import { type Fragment, join, type Param, sql } from '../sql/fragment.ts'
import { type Goal, GoalSchema, goalMatches, resolveGoal } from './goals.ts'
import { jsonParam } from './json-param.ts'
import { instant, WINDOW_END, WINDOW_START } from './params.ts'
import {
  hasProperty,
  PersonPropertySchema,
  type PersonPropertyTest,
  resolvePersonProperty,
} from './person-properties.ts'
import { personEvents } from './persons.ts'
import { eventsWhere, windowParams } from './predicates.ts'

/**
 * A cohort given inline (docs/funnels-retention.md, "Cohorts"): the persons who did a goal in
 * `[from, to)`, the persons who have a person property (`has`, person-properties.ts), or the
 * persons who are both. Used as a filter, it keeps only those persons, whichever of their ids
 * the goal was done or the trait set under (membership is by merged person, like every count).
 */
export type Cohort = DidCohort | HasCohort

export interface DidCohort {
  did: Goal
  from: Date
  to: Date
  has?: PersonPropertyTest
}

export interface HasCohort {
  has: PersonPropertyTest
}

const FORMS =
  'a cohort is {"did": goal, "from", "to"} (persons who did a goal in a range), {"has": {"property", "op", "value"}} (persons with a person property), or both'

// One object with every field optional (rather than a union of the forms), so a mistake is
// reported at its field (`cohort.has.op: …`) instead of as "invalid input" for the whole cohort.
export const cohortParam = jsonParam(
  z
    .strictObject({
      did: GoalSchema.optional(),
      from: instant.optional(),
      to: instant.optional(),
      has: PersonPropertySchema.optional(),
    })
    .superRefine((c, ctx) => {
      if (c.did === undefined && c.has === undefined) {
        ctx.addIssue({ code: 'custom', path: [], message: FORMS })
        return
      }
      for (const bound of ['from', 'to'] as const) {
        if (c.did !== undefined && c[bound] === undefined) {
          const part = bound === 'from' ? 'start (inclusive)' : 'end (exclusive)'
          ctx.addIssue({
            code: 'custom',
            path: [bound],
            message: `required with \`did\`: its range's ${part}`,
          })
        }
        if (c.did === undefined && c[bound] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [bound],
            message: `\`${bound}\` bounds the range of \`did\`; a \`has\` cohort takes none (its property is as of the query's \`to\`)`,
          })
        }
      }
    }),
)

/**
 * The cohort of a query whose range ends at `to`: a person property is taken as of then.
 * Or why it cannot be used.
 */
export function resolveCohort(input: z.output<typeof cohortParam>, to: Date): Cohort | string {
  const has = input.has === undefined ? undefined : resolvePersonProperty(input.has, to)
  if (input.did === undefined) {
    if (has === undefined) return `cohort: ${FORMS}`
    return { has }
  }
  // The schema refuses `did` without its range.
  const from = input.from!
  const until = input.to!
  if (from.getTime() >= until.getTime()) return 'cohort: `from` must be earlier than `to`'
  if (from < WINDOW_START || until > WINDOW_END) {
    return `cohort: the range must lie within ${WINDOW_START.toISOString()} and ${WINDOW_END.toISOString()}`
  }
  const did = resolveGoal(input.did, 'cohort.did')
  if (typeof did === 'string') return did
  return { did, from, to: until, ...(has === undefined ? {} : { has }) }
}

/** `person IN (the cohort)`, for a query's person column; TRUE without a cohort. */
export function inCohort(cohort: Cohort | undefined, site: string, includeBots: boolean): Fragment {
  if (cohort === undefined) return sql`1`
  const tests: Fragment[] = []
  if ('did' in cohort) tests.push(didGoal(cohort, site, includeBots))
  if (cohort.has !== undefined) tests.push(hasProperty(cohort.has, site, includeBots))
  return join(tests, sql`\nAND `)
}

/** The persons who did the cohort's goal in its range. */
function didGoal(cohort: DidCohort, site: string, includeBots: boolean): Fragment {
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
