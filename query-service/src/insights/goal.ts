import { storedEventName } from '@sightline/contracts'
import { z } from 'zod'
import { type Fragment, param, property, sql } from '../sql/fragment.ts'
import { eventFilters, FilterSchema, isVisitDimension, MAX_FILTERS } from './dimensions.ts'

/**
 * A goal given inline in a spec: an event name, event-level filters and optionally the
 * property that carries its value (revenue). A conversion, a funnel step or a retention event
 * can be written as one; kinds turn it into an events predicate and a value expression.
 */
export const GoalSchema = z.strictObject({
  event: z.string().min(1).max(200).describe('event name; `pageview` means page views'),
  filters: z
    .array(
      FilterSchema.refine((f) => !isVisitDimension(f.dimension), {
        error:
          'goal filters test the event itself: use an event dimension (page, country, …, properties.<key>)',
      }),
    )
    .max(MAX_FILTERS, { error: `at most ${MAX_FILTERS} filters` })
    .default([]),
  value: z
    .string()
    .regex(/^properties\..{1,200}$/s, { error: 'expected properties.<key>' })
    .optional()
    .describe('the property holding the value, e.g. properties.revenue'),
})
export type Goal = z.output<typeof GoalSchema>

/** The goal's predicates over the events table (name and filters), to AND into a WHERE. */
export function goalPredicates(goal: Goal): Fragment[] {
  return [
    sql`event = ${param('goal_event', 'String', storedEventName(goal.event))}`,
    ...eventFilters(goal.filters),
  ]
}

/**
 * The goal's value per event as Float64: the property when it is a number or a string that
 * reads as one in full, else 0 (missing, text, booleans, `nan`/`inf`). Without a value property, 0.
 */
export function goalValue(goal: Goal): Fragment {
  if (goal.value === undefined) return sql`toFloat64(0)`
  const value = property(goal.value.slice('properties.'.length))
  const number = sql`ifNull(toFloat64OrNull(toString(${value})), 0)`
  return sql`if(isFinite(${number}), ${number}, 0)`
}
