/**
 * Calendar days of an IANA time zone, from the runtime's zone data (Intl): which local day an
 * instant falls on, and the instant a local day begins. What the query service's named ranges
 * (`range: "today"`) and the dashboard's date ranges are counted in, one calendar for both;
 * DST days come out 23 or 25 hours long. Imports nothing, so the dashboard's browser bundle
 * takes it by its own subpath (`@sightline/contracts/local-calendar`) without zod or the rest.
 */

/** A local calendar day; `m` is 0-based as in Date. Out-of-range days and months roll over. */
export interface LocalDay {
  y: number
  m: number
  d: number
}

// Zones have had offsets from −12 h to +14 h; a day's start lies within these of its UTC midnight.
const MAX_AHEAD_MS = 15 * 3_600_000
const MAX_BEHIND_MS = 13 * 3_600_000

const formats = new Map<string, Intl.DateTimeFormat>()

function format(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz)
  if (f === undefined) {
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
  return f
}

/** The zone's wall clock at an instant, read as if it were UTC (whole seconds). */
function wallMs(atMs: number, tz: string): number {
  const p: Record<string, number> = {}
  for (const part of format(tz).formatToParts(atMs)) p[part.type] = Number(part.value)
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!)
}

/** UTC midnight of a day: one number per day, comparable, with overflowing fields rolled over. */
const dayNumber = (day: LocalDay) => Date.UTC(day.y, day.m, day.d)

/** The local day an instant falls on, as its dayNumber. */
function localDayNumber(atMs: number, tz: string): number {
  const wall = wallMs(atMs, tz)
  return wall - (((wall % 86_400_000) + 86_400_000) % 86_400_000)
}

export function localDay(at: Date, tz: string): LocalDay {
  const t = new Date(localDayNumber(at.getTime(), tz))
  return { y: t.getUTCFullYear(), m: t.getUTCMonth(), d: t.getUTCDate() }
}

/** Days since the local Monday of the week (ISO 8601 weeks: Monday 0 … Sunday 6). */
export function daysSinceMonday(day: LocalDay): number {
  return (new Date(dayNumber(day)).getUTCDay() + 6) % 7
}

/**
 * The first instant of a local day: its midnight, or, where a DST change skips midnight
 * (America/Santiago goes from 24:00 to 01:00), the instant the day begins. A day a zone
 * skipped altogether begins where the next one does.
 */
export function startOfLocalDay(day: LocalDay, tz: string): Date {
  const target = dayNumber(day)
  const begins = (t: number) => localDayNumber(t, tz) >= target
  // Midnight is the wall time minus the offset; near a change the offset at the first guess
  // may not be the one in force at midnight, so the guess is corrected once.
  let guess = target - (wallMs(target, tz) - target)
  guess = target - (wallMs(guess, tz) - guess)
  if (begins(guess) && !begins(guess - 1)) return new Date(guess)
  // Midnight does not exist that day: the first instant on or after the day, by bisection
  // between an instant surely before it and one surely on or after it.
  let before = target - MAX_AHEAD_MS
  let after = target + MAX_BEHIND_MS
  while (after - before > 1) {
    const mid = Math.floor((before + after) / 2)
    if (begins(mid)) after = mid
    else before = mid
  }
  return new Date(after)
}
