import { storedEventName } from '@sightline/contracts'
import { z } from 'zod'
import { type Fragment, join, param, property, sql } from '../sql/fragment.ts'
import { eventFilters, type Filter, FilterSchema, isVisitDimension, MAX_FILTERS } from './dimensions.ts'

/**
 * A goal: "an event with these properties" (docs/funnels-retention.md, "Goals"). Funnel steps,
 * exclusions and retention's start and return events are goals, given inline either as
 * `{event, filters}` or wrapped as `{goal: {event, filters, value}}`, the shape a stored goal
 * will take. `value` names a numeric property (revenue) for the kinds that sum one
 * (attribution); funnels and retention accept it and ignore it. Every kind reads goals
 * through this one module, so a goal means the same wherever it is used.
 */
export interface Goal {
  /** As stored: `pageview` is already `$pageview`. */
  event: string
  filters: Filter[]
  /** The property key (without `properties.`) holding the goal's value, e.g. `revenue`. */
  value?: string
  /** A display name for the step, echoed back. */
  label?: string
}

const GoalObject = z.strictObject({
  event: z.string().min(1).max(200),
  filters: z
    .array(FilterSchema)
    .max(MAX_FILTERS, { error: `at most ${MAX_FILTERS} filters` })
    .default([]),
  value: z
    .string()
    .transform((v) => (v.startsWith('properties.') ? v.slice('properties.'.length) : v))
    .pipe(
      z.string().min(1, { error: 'expected a property key, e.g. revenue or properties.revenue' }).max(200),
    )
    .optional()
    .describe('the property holding the value: `revenue` or `properties.revenue`'),
  label: z.string().max(200).optional(),
})

// One object schema behind both forms (rather than a union), so a mistake is reported at its
// field (`steps.0.filters.0.op: …`) instead of as "invalid input" for the whole goal.
export const GoalSchema = z.preprocess((value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
  const keys = Object.keys(value)
  return keys.length === 1 && keys[0] === 'goal' ? (value as { goal: unknown }).goal : value
}, GoalObject)
export type GoalInput = z.output<typeof GoalSchema>

/**
 * The stored form of a goal, or why it cannot be used: a goal tests single events, so a visit
 * dimension (channel, entry page: properties of a whole visit) cannot filter it.
 */
export function resolveGoal(input: GoalInput, where: string): Goal | string {
  const visit = input.filters.find((f) => isVisitDimension(f.dimension))
  if (visit !== undefined) {
    return `${where}: \`${visit.dimension}\` is a visit dimension; a goal's filters test the event itself (page, country, browser, os, device_type, event or properties.<key>)`
  }
  const goal: Goal = { event: storedEventName(input.event), filters: input.filters }
  if (input.value !== undefined) goal.value = input.value
  if (input.label !== undefined) goal.label = input.label
  return goal
}

/** The goal's predicates over the events table (name and filters), to AND into a WHERE. */
export function goalPredicates(goal: Goal): Fragment[] {
  return [sql`event = ${param('goal_event', 'String', goal.event)}`, ...eventFilters(goal.filters)]
}

/** The predicate "this event meets the goal", for one row of the events table. */
export function goalMatches(goal: Goal): Fragment {
  return join(goalPredicates(goal), sql` AND `)
}

/** The stored event names of some goals, to narrow the scan to them (the primary key includes `event`). */
export function goalEvents(goals: readonly Goal[]): Fragment {
  const names = [...new Set(goals.map((g) => g.event))].sort()
  return sql`event IN ${param('goal_events', 'Array(String)', names)}`
}

/**
 * The goal's value per event as Float64: the property when it is a number or a string that
 * reads as one in full, else 0 (missing, text, booleans, `nan`/`inf`). Without a value property, 0.
 */
export function goalValue(goal: Goal): Fragment {
  if (goal.value === undefined) return sql`toFloat64(0)`
  const number = sql`ifNull(toFloat64OrNull(toString(${property(goal.value)})), 0)`
  return sql`if(isFinite(${number}), ${number}, 0)`
}
