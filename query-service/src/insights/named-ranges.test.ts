import { describe, expect, it } from 'vitest'
import { NAMED_RANGES, type NamedRange, resolveNamedRange } from './named-ranges.ts'

// Every name at chosen instants, the expected instants worked out by hand from each zone's
// offsets (stated beside them), never by the code under test. `[from, to)`, as ISO text.
type Expected = Record<NamedRange, [from: string, to: string]>

function resolvedAll(nowIso: string, tz: string): Expected {
  const now = new Date(nowIso)
  return Object.fromEntries(
    NAMED_RANGES.map((name) => {
      const { from, to } = resolveNamedRange(name, now, tz)
      return [name, [from.toISOString(), to.toISOString()]]
    }),
  ) as Expected
}

const hours = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 3_600_000

describe('named ranges', () => {
  it('in UTC, on a Wednesday', () => {
    const now = '2026-03-11T15:20:00.000Z'
    expect(resolvedAll(now, 'UTC')).toEqual({
      today: ['2026-03-11T00:00:00.000Z', now],
      yesterday: ['2026-03-10T00:00:00.000Z', '2026-03-11T00:00:00.000Z'],
      last_30_minutes: ['2026-03-11T14:50:00.000Z', now],
      last_24_hours: ['2026-03-10T15:20:00.000Z', now],
      // Today and the 6 (29) days before it, whole days from their midnight.
      last_7_days: ['2026-03-05T00:00:00.000Z', now],
      last_30_days: ['2026-02-10T00:00:00.000Z', now],
      // Weeks start on Monday: 9 March 2026.
      this_week: ['2026-03-09T00:00:00.000Z', now],
      last_week: ['2026-03-02T00:00:00.000Z', '2026-03-09T00:00:00.000Z'],
      this_month: ['2026-03-01T00:00:00.000Z', now],
      last_month: ['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
      this_year: ['2026-01-01T00:00:00.000Z', now],
    } satisfies Expected)
  })

  it('in UTC, on New Year’s Day (a Thursday): last week, month and 30 days reach into 2025', () => {
    const now = '2026-01-01T10:00:00.000Z'
    expect(resolvedAll(now, 'UTC')).toEqual({
      today: ['2026-01-01T00:00:00.000Z', now],
      yesterday: ['2025-12-31T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
      last_30_minutes: ['2026-01-01T09:30:00.000Z', now],
      last_24_hours: ['2025-12-31T10:00:00.000Z', now],
      last_7_days: ['2025-12-26T00:00:00.000Z', now],
      last_30_days: ['2025-12-03T00:00:00.000Z', now],
      this_week: ['2025-12-29T00:00:00.000Z', now],
      last_week: ['2025-12-22T00:00:00.000Z', '2025-12-29T00:00:00.000Z'],
      this_month: ['2026-01-01T00:00:00.000Z', now],
      last_month: ['2025-12-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
      this_year: ['2026-01-01T00:00:00.000Z', now],
    } satisfies Expected)
  })

  it('in America/New_York the day after clocks went forward (8 March 2026 was 23 hours)', () => {
    // 15:00Z on Monday 9 March is 11:00 EDT (UTC−4); midnights before 8 March 02:00 are EST (UTC−5).
    const now = '2026-03-09T15:00:00.000Z'
    const got = resolvedAll(now, 'America/New_York')
    expect(got).toEqual({
      today: ['2026-03-09T04:00:00.000Z', now],
      yesterday: ['2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z'],
      last_30_minutes: ['2026-03-09T14:30:00.000Z', now],
      // Rolling: 24 real hours, not "since this time yesterday" on the wall clock (10:00 EST).
      last_24_hours: ['2026-03-08T15:00:00.000Z', now],
      last_7_days: ['2026-03-03T05:00:00.000Z', now],
      last_30_days: ['2026-02-08T05:00:00.000Z', now],
      this_week: ['2026-03-09T04:00:00.000Z', now],
      last_week: ['2026-03-02T05:00:00.000Z', '2026-03-09T04:00:00.000Z'],
      this_month: ['2026-03-01T05:00:00.000Z', now],
      last_month: ['2026-02-01T05:00:00.000Z', '2026-03-01T05:00:00.000Z'],
      this_year: ['2026-01-01T05:00:00.000Z', now],
    } satisfies Expected)
    expect(hours(...got.yesterday)).toBe(23)
    expect(hours(...got.last_week)).toBe(7 * 24 - 1)
  })

  it('in America/New_York on the day of the change: today began at 05:00Z, before the change', () => {
    // 12:00Z on Sunday 8 March is 08:00 EDT; the day began at 00:00 EST, 7 hours before.
    const now = '2026-03-08T12:00:00.000Z'
    const got = resolvedAll(now, 'America/New_York')
    expect(got.today).toEqual(['2026-03-08T05:00:00.000Z', now])
    expect(hours(...got.today)).toBe(7)
    expect(got.yesterday).toEqual(['2026-03-07T05:00:00.000Z', '2026-03-08T05:00:00.000Z'])
    // A Sunday is the last day of its week.
    expect(got.this_week).toEqual(['2026-03-02T05:00:00.000Z', now])
    expect(got.last_week).toEqual(['2026-02-23T05:00:00.000Z', '2026-03-02T05:00:00.000Z'])
    // One minute before the next midnight (23:59 EDT = 03:59Z): today is 23 hours less a minute.
    const late = resolvedAll('2026-03-09T03:59:00.000Z', 'America/New_York')
    expect(late.today).toEqual(['2026-03-08T05:00:00.000Z', '2026-03-09T03:59:00.000Z'])
  })

  it('in Europe/Berlin the day after clocks went back (25 October 2026 was 25 hours)', () => {
    // 09:00Z on Monday 26 October is 10:00 CET (UTC+1); midnights before 25 October 03:00 are CEST (UTC+2).
    const now = '2026-10-26T09:00:00.000Z'
    const got = resolvedAll(now, 'Europe/Berlin')
    expect(got).toEqual({
      today: ['2026-10-25T23:00:00.000Z', now],
      yesterday: ['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z'],
      last_30_minutes: ['2026-10-26T08:30:00.000Z', now],
      last_24_hours: ['2026-10-25T09:00:00.000Z', now],
      last_7_days: ['2026-10-19T22:00:00.000Z', now],
      last_30_days: ['2026-09-26T22:00:00.000Z', now],
      this_week: ['2026-10-25T23:00:00.000Z', now],
      last_week: ['2026-10-18T22:00:00.000Z', '2026-10-25T23:00:00.000Z'],
      this_month: ['2026-09-30T22:00:00.000Z', now],
      last_month: ['2026-08-31T22:00:00.000Z', '2026-09-30T22:00:00.000Z'],
      this_year: ['2025-12-31T23:00:00.000Z', now],
    } satisfies Expected)
    expect(hours(...got.yesterday)).toBe(25)
    expect(hours(...got.last_week)).toBe(7 * 24 + 1)
  })

  it('in Europe/Berlin on the 23-hour day (29 March 2026): today runs from 23:00Z the day before', () => {
    // 21:59Z is 23:59 CEST: the day began at 00:00 CET (28 March 23:00Z), 22 h 59 min ago.
    const got = resolvedAll('2026-03-29T21:59:00.000Z', 'Europe/Berlin')
    expect(got.today).toEqual(['2026-03-28T23:00:00.000Z', '2026-03-29T21:59:00.000Z'])
    const next = resolvedAll('2026-03-30T08:00:00.000Z', 'Europe/Berlin')
    expect(next.yesterday).toEqual(['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z'])
    expect(hours(...next.yesterday)).toBe(23)
  })

  it('starts a day where a DST change skips its midnight (America/Santiago, 6 September 2026)', () => {
    // Clocks went from Saturday 24:00 (UTC−4) to Sunday 01:00 (UTC−3): Sunday began at 04:00Z.
    const now = '2026-09-06T15:00:00.000Z'
    const got = resolvedAll(now, 'America/Santiago')
    expect(got.today).toEqual(['2026-09-06T04:00:00.000Z', now])
    expect(got.yesterday).toEqual(['2026-09-05T04:00:00.000Z', '2026-09-06T04:00:00.000Z'])
    expect(got.this_week).toEqual(['2026-08-31T04:00:00.000Z', now])
    expect(got.this_month).toEqual(['2026-09-01T04:00:00.000Z', now])
  })

  it('is one millisecond long, not empty, at the very instant a period begins', () => {
    // 1 March 2026, 00:00 UTC: a Sunday, the first of a month.
    const midnight = '2026-03-01T00:00:00.000Z'
    const got = resolvedAll(midnight, 'UTC')
    expect(got.today).toEqual([midnight, '2026-03-01T00:00:00.001Z'])
    expect(got.this_month).toEqual([midnight, '2026-03-01T00:00:00.001Z'])
    expect(got.this_week).toEqual(['2026-02-23T00:00:00.000Z', midnight])
    expect(got.yesterday).toEqual(['2026-02-28T00:00:00.000Z', midnight])
    expect(got.last_month).toEqual(['2026-02-01T00:00:00.000Z', midnight])
    const newYear = resolvedAll('2026-01-01T00:00:00.000Z', 'UTC')
    expect(newYear.this_year).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.001Z'])
  })
})
