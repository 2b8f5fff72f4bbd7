import { storedEventName } from '@sightline/contracts'
import { z } from 'zod'
import { INTERVALS, type Interval } from '../planner/index.ts'

const DAY_MS = 86_400_000

/** A trends response larger than this is a mistake (hourly over a year), not a chart. */
export const MAX_BUCKETS = 2_000

/** Conservative bucket lengths (months as 28 days) so the cap errs towards rejecting. */
const MIN_BUCKET_MS: Record<Interval, number> = {
  hour: 3_600_000,
  day: DAY_MS,
  week: 7 * DAY_MS,
  month: 28 * DAY_MS,
}

/** A default window that gives a useful chart at each granularity. */
const DEFAULT_SPAN_MS: Record<Interval, number> = {
  hour: DAY_MS,
  day: 7 * DAY_MS,
  week: 12 * 7 * DAY_MS,
  month: 365 * DAY_MS,
}

// Date-only values mean UTC midnight; datetimes must say their offset so nothing depends on
// the server's zone.
const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: 'expected an ISO 8601 date (2024-01-31) or datetime with offset (2024-01-31T00:00:00Z)',
  })
  .transform((value) => new Date(value.length === 10 ? `${value}T00:00:00Z` : value))

const flag = z
  .enum(['true', 'false', '1', '0'], { error: 'expected true/false or 1/0' })
  .transform((v) => v === 'true' || v === '1')

const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz })
      return true
    } catch {
      return false
    }
  },
  { error: 'expected an IANA time zone such as UTC or Europe/Berlin' },
)

// Strict: a misspelt parameter (`?intreval=hour`) should fail loudly, not silently default.
const common = {
  from: instant.optional(),
  to: instant.optional(),
  include_bots: flag.default(false),
  explain: flag.default(false),
}

export const StatsQuery = z.strictObject(common)

export const RejectedQuery = z.strictObject({ from: common.from, to: common.to, explain: common.explain })

export const TrendsQuery = z.strictObject({
  ...common,
  event: z.string().min(1).max(200).transform(storedEventName).optional(),
  interval: z.enum(INTERVALS, { error: `expected one of ${INTERVALS.join(', ')}` }).default('day'),
  tz: timeZone.default('UTC'),
})

/** Fills in the default window and checks the range makes sense; returns an error message or the range. */
export function resolveRange(
  query: { from?: Date | undefined; to?: Date | undefined },
  now: Date,
  defaultSpanMs: number,
): { from: Date; to: Date } | string {
  const to = query.to ?? now
  const from = query.from ?? new Date(to.getTime() - defaultSpanMs)
  if (from.getTime() >= to.getTime()) return '`from` must be earlier than `to`'
  return { from, to }
}

export function defaultSpan(interval: Interval | undefined): number {
  return DEFAULT_SPAN_MS[interval ?? 'day']
}

export function bucketCount(from: Date, to: Date, interval: Interval): number {
  return Math.ceil((to.getTime() - from.getTime()) / MIN_BUCKET_MS[interval]) + 1
}

/** One line per problem, naming the parameter, so the 400 says exactly what to fix. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown parameter(s): ${issue.keys.join(', ')}`
      const name = issue.path.join('.')
      return name === '' ? issue.message : `${name}: ${issue.message}`
    })
    .join('; ')
}
