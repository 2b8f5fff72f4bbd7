import { z } from 'zod'
import { compile, type Fragment, join, type Planned, param, property, sql } from '../sql/fragment.ts'
import { jsonParam } from './json-param.ts'

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
  // Region is the ISO 3166-2 subdivision code without the country (`BY` for Bavaria), as the
  // edge's geo step stores it; city is its English name. Both are '' where geo had no answer.
  region: sql`geo_region`,
  city: sql`geo_city`,
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

/** Text tests, on every dimension (`contains` ignores case; `matches` is an RE2 pattern, as written). */
export const TEXT_OPS = ['is', 'is_not', 'contains', 'not_contains', 'matches'] as const
/** Numeric comparisons, on custom properties only (the other dimensions are text). */
export const NUMERIC_OPS = ['gt', 'gte', 'lt', 'lte'] as const
export const FILTER_OPS = [...TEXT_OPS, ...NUMERIC_OPS] as const
export type FilterOp = (typeof FILTER_OPS)[number]

/**
 * The longest `matches` pattern. RE2 runs in time linear in the text whatever the pattern,
 * and refuses patterns whose compiled program is too large (`a{1000}{1000}`), so the length
 * cap is about spec size, not run time; an invalid pattern is the engine's 400.
 */
export const MAX_PATTERN_LENGTH = 256

export const isNumericOp = (op: FilterOp): op is (typeof NUMERIC_OPS)[number] =>
  (NUMERIC_OPS as readonly string[]).includes(op)

/** The operator of a filter or of a person-property test. */
export const filterOp = z.enum(FILTER_OPS, { error: `expected one of ${FILTER_OPS.join(', ')}` })

/** The value a filter or a person-property test compares with (which type: `checkOpValue`). */
export const filterValue = z.union([z.string().max(1000), z.number()], {
  error: 'expected a string (or a number for gt/gte/lt/lte)',
})

/** An operator and its value: what `filterTest` compares a column with. */
export interface OpValue {
  op: FilterOp
  value: string | number
}

/**
 * The value an operator takes, as issues at `value`: a finite number for the comparisons, a
 * string for the text tests (a `matches` pattern of bounded length). Shared by filters and
 * person-property cohorts, so both accept exactly the same tests.
 */
export function checkOpValue(f: OpValue, ctx: z.RefinementCtx): void {
  if (isNumericOp(f.op)) {
    if (typeof f.value !== 'number' || !Number.isFinite(f.value)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `${f.op} takes a finite number` })
    }
    return
  }
  if (typeof f.value !== 'string') {
    ctx.addIssue({ code: 'custom', path: ['value'], message: `${f.op} takes a string` })
  } else if (f.op === 'matches' && (f.value.length === 0 || f.value.length > MAX_PATTERN_LENGTH)) {
    ctx.addIssue({
      code: 'custom',
      path: ['value'],
      message: `a matches pattern is 1–${MAX_PATTERN_LENGTH} characters`,
    })
  }
}

export const FilterSchema = z
  .strictObject({ dimension, op: filterOp, value: filterValue })
  .superRefine((f, ctx) => {
    if (isNumericOp(f.op) && !PROPERTY.test(f.dimension)) {
      ctx.addIssue({
        code: 'custom',
        path: ['op'],
        message: `${f.op} compares numbers: only on properties.<key>`,
      })
    }
    checkOpValue(f, ctx)
  })
export type Filter = z.output<typeof FilterSchema>

export const MAX_FILTERS = 20

export const filtersParam = jsonParam(
  z.array(FilterSchema).max(MAX_FILTERS, { error: `at most ${MAX_FILTERS} filters` }),
)

/** One filter's (or person-property test's) test of a column holding the value. */
export function filterTest(column: Fragment, filter: OpValue): Fragment {
  if (isNumericOp(filter.op)) {
    // A property holding a number, or text that reads as one; anything else never matches.
    const number = sql`toFloat64OrNull(${column})`
    // Bound as its shortest round-trip text, which the engine reads back as the same double:
    // the driver refuses to bind a number past 2^53 (every double that large is an integer
    // that may have lost bits), and a valid spec may hold any finite number.
    const value = param('filter', 'Float64', String(filter.value))
    const op = { gt: sql`>`, gte: sql`>=`, lt: sql`<`, lte: sql`<=` }[filter.op]
    return sql`${number} ${op} ${value}`
  }
  const value = param('filter', 'String', String(filter.value))
  switch (filter.op) {
    case 'is':
      return sql`${column} = ${value}`
    case 'is_not':
      return sql`${column} != ${value}`
    case 'contains':
      return sql`positionCaseInsensitiveUTF8(${column}, ${value}) > 0`
    case 'not_contains':
      return sql`positionCaseInsensitiveUTF8(${column}, ${value}) = 0`
    case 'matches':
      // ClickHouse's match() is RE2: no backtracking, so no pattern can make it slow.
      return sql`match(${column}, ${value})`
  }
}

/**
 * Event-dimension filters, ANDed, for the events WHERE. A missing property counts as '' for
 * the text tests and as no number (never matching) for the comparisons.
 */
export function eventFilters(filters: readonly Filter[]): Fragment[] {
  return filters
    .filter((f) => !isVisitDimension(f.dimension))
    .map((f) => {
      const value = eventValue(f.dimension as EventDimension)
      return filterTest(isNumericOp(f.op) ? value : sql`ifNull(${value}, '')`, f)
    })
}

/** Visit-dimension filters, ANDed, over the visits query's columns; TRUE when there are none. */
export function visitFilters(filters: readonly Filter[]): Fragment {
  const tests = filters
    .filter((f) => isVisitDimension(f.dimension))
    .map((f) => filterTest(VISIT_DIMENSIONS[f.dimension as VisitDimension], f))
  return tests.length === 0 ? sql`1` : join(tests, sql` AND `)
}

/**
 * Compiles every `matches` pattern of the filters with the engine's own RE2, over one empty
 * string (a JavaScript check would refuse valid RE2 and pass invalid RE2); undefined when
 * there is none.
 */
export function patternPreflight(filters: readonly Filter[]): Planned | undefined {
  const patterns = filters
    .filter((f) => f.op === 'matches')
    .map((f) => param('pattern', 'String', String(f.value)))
  if (patterns.length === 0) return undefined
  return compile(
    sql`SELECT ${join(
      patterns.map((p) => sql`match('', ${p})`),
      sql` + `,
    )} AS matched`,
  )
}
