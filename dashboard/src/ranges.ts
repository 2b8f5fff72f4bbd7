// Date ranges on the calendar of the site's time zone (its `time_zone` setting, from
// GET /v1/sites): "today" is the site's today wherever the viewer sits, so the page shows the
// numbers the site's own reports would. `to` is exclusive, as in the API: "7 days" is the six
// days before today and today, through tonight's midnight. The presets start where the API's
// named ranges of the same days do (`today`, `last_7_days`, `last_30_days`, `this_month`,
// docs/api.md); those end at now, these at the end of the day or month, for a whole axis.
// The calendar is the one the query service counts named ranges in (shared, from the
// contracts), so a preset starts at the very instant the API's range of the same name does,
// on DST days too.
import { type LocalDay, localDay, startOfLocalDay } from '@sightline/contracts/local-calendar'
import type { RangeKind } from './url-state.ts'

export type Interval = 'hour' | 'day' | 'week' | 'month'

export interface Window {
  from: Date
  to: Date
  interval: Interval
  /** The IANA zone the days (and chart buckets) are counted in. */
  tz: string
}

const HOUR_MS = 3_600_000

export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
}

/** A day `days` later (earlier when negative); startOfLocalDay rolls the overflow over. */
const shift = (day: LocalDay, days: number): LocalDay => ({ ...day, d: day.d + days })

/** A YYYY-MM-DD date as a calendar day. */
function parseDay(text: string): LocalDay {
  const [y, m, d] = text.split('-').map(Number) as [number, number, number]
  return { y, m: m - 1, d }
}

/** The zone's calendar date of an instant, as YYYY-MM-DD. */
export function isoDate(at: Date, tz: string): string {
  const { y, m, d } = localDay(at, tz)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${y}-${pad(m + 1)}-${pad(d)}`
}

/** The trends bucket that keeps a chart readable and under the API's 2,000-bucket cap. */
export function intervalFor(from: Date, to: Date): Interval {
  const hours = (to.getTime() - from.getTime()) / HOUR_MS
  if (hours <= 48) return 'hour'
  if (hours <= 24 * 93) return 'day'
  if (hours <= 24 * 732) return 'week'
  return 'month'
}

export function resolveWindow(
  range: RangeKind,
  now: Date,
  custom?: { from: string | undefined; to: string | undefined },
  tz = viewerTimeZone(),
): Window {
  const today = localDay(now, tz)
  let first: LocalDay
  let end = shift(today, 1)
  if (range === 'today') first = today
  else if (range === '30d') first = shift(today, -29)
  else if (range === 'month') {
    first = { ...today, d: 1 }
    end = { y: today.y, m: today.m + 1, d: 1 }
  } else if (range === 'custom' && custom?.from && custom.to) {
    first = parseDay(custom.from)
    end = shift(parseDay(custom.to), 1)
    if (startOfLocalDay(end, tz) <= startOfLocalDay(first, tz)) end = shift(first, 1)
  } else first = shift(today, -6)
  const from = startOfLocalDay(first, tz)
  const to = startOfLocalDay(end, tz)
  return { from, to, interval: intervalFor(from, to), tz }
}

/** The period of equal length just before (what stats compares with). */
export function previousWindow(w: { from: Date; to: Date }): { from: Date; to: Date } {
  const span = w.to.getTime() - w.from.getTime()
  return { from: new Date(w.from.getTime() - span), to: w.from }
}
