import {
  daysSinceMonday,
  type LocalDay,
  localDay,
  startOfLocalDay,
} from '@sightline/contracts/local-calendar'
import { z } from 'zod'

/**
 * Named ranges (`range`, docs/api.md "Named ranges"): a period by name instead of `from`/`to`
 * instants. A spec keeps the name, not the instants, so it means the same period at every
 * run ("today" is tomorrow's today tomorrow) and the live API's clock runs roll it over.
 */
export const NAMED_RANGES = [
  'today',
  'yesterday',
  'last_30_minutes',
  'last_24_hours',
  'last_7_days',
  'last_30_days',
  'this_week',
  'last_week',
  'this_month',
  'last_month',
  'this_year',
] as const

export type NamedRange = (typeof NAMED_RANGES)[number]

export const namedRange = z
  .enum(NAMED_RANGES, { error: `expected one of ${NAMED_RANGES.join(', ')}` })
  .describe(
    'a named period instead of from/to (not with them): calendar names in the spec’s time zone (tz, else the site’s time zone, else UTC), weeks from Monday; see docs/api.md, "Named ranges"',
  )

const MINUTE_MS = 60_000

/**
 * The instants `[from, to)` a name stands for at `now`, calendar days counted in `tz`. A
 * period that runs "so far" ends at `now`; at the very instant it begins (`now` is its first
 * instant) it is one millisecond long rather than empty, so a request at midnight is answered
 * (with nothing yet) instead of refused.
 */
export function resolveNamedRange(name: NamedRange, now: Date, tz: string): { from: Date; to: Date } {
  const soFar = (from: Date) => ({ from, to: new Date(Math.max(now.getTime(), from.getTime() + 1)) })
  const before = (ms: number) => ({ from: new Date(now.getTime() - ms), to: now })
  if (name === 'last_30_minutes') return before(30 * MINUTE_MS)
  if (name === 'last_24_hours') return before(24 * 60 * MINUTE_MS)

  const today = localDay(now, tz)
  const day = (days: number) => startOfLocalDay({ ...today, d: today.d + days }, tz)
  const first = (of: Omit<LocalDay, 'd'>) => startOfLocalDay({ ...of, d: 1 }, tz)
  const monday = -daysSinceMonday(today)
  switch (name) {
    case 'today':
      return soFar(day(0))
    case 'yesterday':
      return { from: day(-1), to: day(0) }
    // Whole local days, today's so far included: the dashboard's "Last 7 days" / "Last 30 days".
    case 'last_7_days':
      return soFar(day(-6))
    case 'last_30_days':
      return soFar(day(-29))
    case 'this_week':
      return soFar(day(monday))
    case 'last_week':
      return { from: day(monday - 7), to: day(monday) }
    case 'this_month':
      return soFar(first(today))
    case 'last_month':
      return { from: first({ y: today.y, m: today.m - 1 }), to: first(today) }
    case 'this_year':
      return soFar(first({ y: today.y, m: 0 }))
  }
}
