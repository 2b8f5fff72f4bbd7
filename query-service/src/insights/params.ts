import { z } from 'zod'
import { type NamedRange, namedRange, resolveNamedRange } from './named-ranges.ts'
import { isTimeZone } from './time-zones.ts'

/**
 * Parameter schemas shared by the insight kinds. Each accepts both forms a spec arrives in:
 * query-string text (`include_bots=1`) for the GET conveniences and JSON values
 * (`"include_bots": true`) for `POST /v1/sites/:site/query`.
 */

export const DAY_MS = 86_400_000

/**
 * The instants every query must lie in. ClickHouse's DateTime (which bucket functions return)
 * counts seconds from 1970 in a UInt32 and wraps outside 1970 – 2106-02-07: a 1950 range came
 * back labelled 2086 and a 1969 range in a +14 h zone filled buckets without end. Refusing
 * the range up front is cheaper than any run-time limit.
 */
export const WINDOW_START = new Date('1970-01-01T00:00:00.000Z')
export const WINDOW_END = new Date('2106-01-01T00:00:00.000Z')

// Date-only values mean UTC midnight; datetimes must say their offset so nothing depends on
// the server's zone.
export const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: 'expected an ISO 8601 date (2024-01-31) or datetime with offset (2024-01-31T00:00:00Z)',
  })
  .transform((value) => new Date(value.length === 10 ? `${value}T00:00:00Z` : value))

export const flag = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])], { error: 'expected true/false or 1/0' })
  .transform((v) => v === true || v === 'true' || v === '1')

export const timeZone = z.string().refine(isTimeZone, {
  error: 'expected an IANA time zone such as UTC or Europe/Berlin (names are case-sensitive)',
})

/** `from`/`to`, or `range` by name (named-ranges.ts); resolveRange refuses both at once. */
export const rangeParams = { from: instant.optional(), to: instant.optional(), range: namedRange.optional() }

/** Every kind takes `explain`; the route reads it, the spec does not keep it. */
export const explainParam = { explain: flag.default(false) }

export type Range = { from: Date; to: Date }

/** A spec the planner may run, or the one-line reason it may not (a 400 at the HTTP edge). */
export type Resolved<S> = { spec: S } | { refused: string }

/**
 * Fills in the default window (or the named range's instants, its days counted in `tz`) and
 * checks the range makes sense; returns an error message or the range.
 */
export function resolveRange(
  query: { from?: Date | undefined; to?: Date | undefined; range?: NamedRange | undefined },
  now: Date,
  defaultSpanMs: number,
  tz: string,
): Range | string {
  if (query.range !== undefined && (query.from !== undefined || query.to !== undefined)) {
    return '`range` names a whole range: send either `range` or `from`/`to`, not both'
  }
  const { from, to } =
    query.range !== undefined
      ? resolveNamedRange(query.range, now, tz)
      : defaultRange(query.from, query.to ?? now, defaultSpanMs)
  if (from.getTime() >= to.getTime()) return '`from` must be earlier than `to`'
  if (from < WINDOW_START || to > WINDOW_END) {
    return `the range must lie within ${WINDOW_START.toISOString()} and ${WINDOW_END.toISOString()}`
  }
  return { from, to }
}

function defaultRange(from: Date | undefined, to: Date, defaultSpanMs: number): Range {
  return { from: from ?? new Date(to.getTime() - defaultSpanMs), to }
}

/**
 * The zone a kind without a `tz` parameter counts a named range's days in: the site's
 * `time_zone` setting when the service knows it, else UTC. (A kind with `tz` uses its `tz`.)
 */
export function siteZone(timeZone: string | undefined): string {
  return timeZone ?? 'UTC'
}

/** One line per problem, naming the parameter, so the 400 says exactly what to fix. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const name = issue.path.join('.')
      if (issue.code === 'unrecognized_keys') {
        return name === ''
          ? `unknown parameter(s): ${issue.keys.join(', ')}`
          : `${name}: unknown field(s): ${issue.keys.join(', ')}`
      }
      return name === '' ? issue.message : `${name}: ${issue.message}`
    })
    .join('; ')
}
