// Date ranges on the calendar of the site's time zone (its `time_zone` setting, from
// GET /v1/sites): "today" is the site's today wherever the viewer sits, so the page shows the
// numbers the site's own reports would. `to` is exclusive, as in the API: "7 days" is the six
// days before today and today, through tonight's midnight. The presets start where the API's
// named ranges of the same days do (`today`, `last_7_days`, `last_30_days`, `this_month`,
// docs/api.md); those end at now, these at the end of the day or month, for a whole axis.
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

/** A calendar day; month is 0-based as in Date. Out-of-range days roll over (Date.UTC does). */
interface Day {
  y: number
  m: number
  d: number
}

export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
}

const formats = new Map<string, Intl.DateTimeFormat>()
function parts(at: Date, tz: string) {
  let f = formats.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formats.set(tz, f)
  }
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]))
  return { y: +p.year!, m: +p.month! - 1, d: +p.day!, h: +p.hour!, min: +p.minute!, s: +p.second! }
}

/** How far the zone's wall clock is ahead of UTC at an instant. */
function offsetMs(at: Date, tz: string): number {
  const p = parts(at, tz)
  return Date.UTC(p.y, p.m, p.d, p.h, p.min, p.s) - Math.floor(at.getTime() / 1000) * 1000
}

/** The instant the zone's day begins (its local midnight; the next instant if a DST gap skips it). */
export function startOfDay(day: Day, tz: string): Date {
  const wall = Date.UTC(day.y, day.m, day.d)
  let at = wall - offsetMs(new Date(wall), tz)
  // Near a DST change the offset at the guess may differ from the offset at midnight itself.
  at = wall - offsetMs(new Date(at), tz)
  return new Date(at)
}

function dayOf(at: Date, tz: string): Day {
  const p = parts(at, tz)
  return { y: p.y, m: p.m, d: p.d }
}

const shift = (day: Day, days: number): Day => {
  const t = new Date(Date.UTC(day.y, day.m, day.d + days))
  return { y: t.getUTCFullYear(), m: t.getUTCMonth(), d: t.getUTCDate() }
}

/** A YYYY-MM-DD date as a calendar day. */
function parseDay(text: string): Day {
  const [y, m, d] = text.split('-').map(Number) as [number, number, number]
  return { y, m: m - 1, d }
}

/** The zone's calendar date of an instant, as YYYY-MM-DD. */
export function isoDate(at: Date, tz: string): string {
  const { y, m, d } = dayOf(at, tz)
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
  const today = dayOf(now, tz)
  let first: Day
  let end = shift(today, 1)
  if (range === 'today') first = today
  else if (range === '30d') first = shift(today, -29)
  else if (range === 'month') {
    first = { ...today, d: 1 }
    end = shift({ y: today.y, m: today.m + 1, d: 1 }, 0)
  } else if (range === 'custom' && custom?.from && custom.to) {
    first = parseDay(custom.from)
    end = shift(parseDay(custom.to), 1)
    if (startOfDay(end, tz) <= startOfDay(first, tz)) end = shift(first, 1)
  } else first = shift(today, -6)
  const from = startOfDay(first, tz)
  const to = startOfDay(end, tz)
  return { from, to, interval: intervalFor(from, to), tz }
}

/** The period of equal length just before (what stats compares with). */
export function previousWindow(w: { from: Date; to: Date }): { from: Date; to: Date } {
  const span = w.to.getTime() - w.from.getTime()
  return { from: new Date(w.from.getTime() - span), to: w.from }
}
