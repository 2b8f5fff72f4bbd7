/**
 * Calendar periods in an IANA zone computed with Intl only, so the references share nothing
 * with the warehouse's date functions. A period is named by the UTC instant of its local start.
 */

const DAY_MS = 86_400_000
const formats = new Map<string, Intl.DateTimeFormat>()

function format(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formats.set(tz, f)
  }
  return f
}

/** The local wall clock at `ms`, as if it were UTC (so date arithmetic is plain). */
function wallClock(ms: number, tz: string): number {
  const parts = Object.fromEntries(
    format(tz)
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  )
  return Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!)
}

/** The instant a local midnight (given as a wall-clock UTC value) happens in the zone. */
function instantOfWall(wall: number, tz: string): number {
  let guess = wall
  for (let i = 0; i < 3; i++) guess = wall - (wallClock(guess, tz) - guess)
  return guess
}

export type Period = 'hour' | 'day' | 'week' | 'month'

/** The local calendar day of `ms` as days since 1970-01-01. */
export function localDay(ms: number, tz: string): number {
  return Math.floor(wallClock(ms, tz) / DAY_MS)
}

/** Period index: local days, weeks (Monday-based) or months since 1970. */
export function periodIndex(ms: number, tz: string, period: 'day' | 'week' | 'month'): number {
  const day = localDay(ms, tz)
  if (period === 'day') return day
  // 1970-01-01 was a Thursday: day 4 is Monday 1970-01-05.
  if (period === 'week') return Math.floor((day - 4) / 7)
  const date = new Date(day * DAY_MS)
  return date.getUTCFullYear() * 12 + date.getUTCMonth()
}

/** The UTC instant a period index starts at, in the zone. */
export function periodStart(index: number, tz: string, period: 'day' | 'week' | 'month'): number {
  const wall =
    period === 'day'
      ? index * DAY_MS
      : period === 'week'
        ? (index * 7 + 4) * DAY_MS
        : Date.UTC(Math.floor(index / 12), index % 12, 1)
  return instantOfWall(wall, tz)
}

/** The UTC instant the local period containing `ms` starts at. */
export function startOf(ms: number, tz: string, period: Period): number {
  if (period === 'hour') {
    // The wall clock is to the second; its milliseconds are the instant's own.
    const wall = wallClock(ms, tz) + (((ms % 1000) + 1000) % 1000)
    return ms - (wall % 3_600_000)
  }
  return periodStart(periodIndex(ms, tz, period), tz, period)
}
