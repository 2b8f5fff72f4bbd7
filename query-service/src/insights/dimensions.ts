import { z } from 'zod'
import { type Fragment, join, param, property, sql } from '../sql/fragment.ts'

/**
 * The dimensions a breakdown groups by and a filter tests (docs/metrics.md, "Dimensions").
 * A visit dimension is a property of the whole visit (taken from its first event or page view)
 * and filters visits; an event dimension is a column of each event and filters events before
 * visits are formed.
 */

export const VISIT_DIMENSIONS = {
  entry_page: sql`entry_page`,
  exit_page: sql`exit_page`,
  referrer: sql`referrer_host`,
  source: sql`source`,
  medium: sql`medium`,
  campaign: sql`campaign`,
  channel: sql`channel`,
} as const

export const EVENT_DIMENSIONS = {
  page: sql`page_path`,
  country: sql`geo_country`,
  browser: sql`browser`,
  os: sql`os`,
  device_type: sql`device_type`,
  event: sql`event`,
} as const

export type VisitDimension = keyof typeof VISIT_DIMENSIONS
export type EventDimension = keyof typeof EVENT_DIMENSIONS | `properties.${string}`
export type Dimension = VisitDimension | EventDimension

const NAMES = [...Object.keys(VISIT_DIMENSIONS), ...Object.keys(EVENT_DIMENSIONS)]
const PROPERTY = /^properties\.(.{1,200})$/s

export const dimension = z
  .string()
  .refine((d) => NAMES.includes(d) || PROPERTY.test(d), {
    error: `expected one of ${NAMES.join(', ')} or properties.<key>`,
  })
  .transform((d) => d as Dimension)

export function isVisitDimension(d: Dimension): d is VisitDimension {
  return Object.hasOwn(VISIT_DIMENSIONS, d)
}

/**
 * An event dimension as a nullable String over the events table. A custom property is NULL
 * where the event does not have it; a non-string value is compared as its text (`42`, `true`).
 */
export function eventValue(d: EventDimension): Fragment {
  const key = PROPERTY.exec(d)?.[1]
  if (key === undefined) return EVENT_DIMENSIONS[d as keyof typeof EVENT_DIMENSIONS]
  const value = property(key)
  return sql`if(isNull(${value}), NULL, toString(${value}))`
}

export const FILTER_OPS = ['is', 'is_not', 'contains', 'not_contains'] as const
export type FilterOp = (typeof FILTER_OPS)[number]

export const FilterSchema = z.strictObject({
  dimension,
  op: z.enum(FILTER_OPS, { error: `expected one of ${FILTER_OPS.join(', ')}` }),
  value: z.string().max(1000),
})
export type Filter = z.output<typeof FilterSchema>

export const MAX_FILTERS = 20

function test(column: Fragment, filter: Filter): Fragment {
  const value = param('filter', 'String', filter.value)
  switch (filter.op) {
    case 'is':
      return sql`${column} = ${value}`
    case 'is_not':
      return sql`${column} != ${value}`
    case 'contains':
      return sql`positionCaseInsensitiveUTF8(${column}, ${value}) > 0`
    case 'not_contains':
      return sql`positionCaseInsensitiveUTF8(${column}, ${value}) = 0`
  }
}

/** Event-dimension filters, ANDed, for the events WHERE; a missing property counts as ''. */
export function eventFilters(filters: readonly Filter[]): Fragment[] {
  return filters
    .filter((f) => !isVisitDimension(f.dimension))
    .map((f) => test(sql`ifNull(${eventValue(f.dimension as EventDimension)}, '')`, f))
}

/** Visit-dimension filters, ANDed, over the visits query's columns; TRUE when there are none. */
export function visitFilters(filters: readonly Filter[]): Fragment {
  const tests = filters
    .filter((f) => isVisitDimension(f.dimension))
    .map((f) => test(VISIT_DIMENSIONS[f.dimension as VisitDimension], f))
  return tests.length === 0 ? sql`1` : join(tests, sql` AND `)
}
