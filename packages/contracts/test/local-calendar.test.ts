import { describe, expect, it } from 'vitest'
import { daysSinceMonday, type LocalDay, localDay, startOfLocalDay } from '../src/local-calendar.ts'

// Expected instants are worked out by hand from each zone's offsets (stated beside them).
const start = (day: LocalDay, tz: string) => startOfLocalDay(day, tz).toISOString()
const hoursLong = (day: LocalDay, tz: string) =>
  (startOfLocalDay({ ...day, d: day.d + 1 }, tz).getTime() - startOfLocalDay(day, tz).getTime()) / 3_600_000

describe('localDay', () => {
  it('is the zone’s calendar day, not UTC’s', () => {
    // 23:30Z on 9 March 2024 is 00:30 CET on the 10th in Berlin and 15:30 PST on the 9th in LA.
    const at = new Date('2024-03-09T23:30:00Z')
    expect(localDay(at, 'UTC')).toEqual({ y: 2024, m: 2, d: 9 })
    expect(localDay(at, 'Europe/Berlin')).toEqual({ y: 2024, m: 2, d: 10 })
    expect(localDay(at, 'America/Los_Angeles')).toEqual({ y: 2024, m: 2, d: 9 })
    // 14:00Z on 31 December is already New Year’s Day at UTC+14.
    expect(localDay(new Date('2025-12-31T14:00:00Z'), 'Pacific/Kiritimati')).toEqual({ y: 2026, m: 0, d: 1 })
  })

  it('changes at the first instant of a day, not a millisecond earlier', () => {
    expect(localDay(new Date('2026-03-28T23:00:00.000Z'), 'Europe/Berlin')).toEqual({ y: 2026, m: 2, d: 29 })
    expect(localDay(new Date('2026-03-28T22:59:59.999Z'), 'Europe/Berlin')).toEqual({ y: 2026, m: 2, d: 28 })
  })
})

describe('daysSinceMonday', () => {
  it('counts ISO weeks: Monday 0 … Sunday 6, rolling over out-of-range days', () => {
    expect(daysSinceMonday({ y: 2026, m: 2, d: 9 })).toBe(0) // Monday 9 March 2026
    expect(daysSinceMonday({ y: 2026, m: 2, d: 11 })).toBe(2) // Wednesday
    expect(daysSinceMonday({ y: 2026, m: 2, d: 15 })).toBe(6) // Sunday
    expect(daysSinceMonday({ y: 2026, m: 0, d: 0 })).toBe(2) // 31 December 2025, a Wednesday
  })
})

describe('startOfLocalDay', () => {
  it('is local midnight: the wall clock minus the zone’s offset', () => {
    expect(start({ y: 2026, m: 0, d: 15 }, 'UTC')).toBe('2026-01-15T00:00:00.000Z')
    expect(start({ y: 2026, m: 0, d: 15 }, 'America/New_York')).toBe('2026-01-15T05:00:00.000Z') // EST, UTC−5
    expect(start({ y: 2026, m: 6, d: 15 }, 'America/New_York')).toBe('2026-07-15T04:00:00.000Z') // EDT, UTC−4
    expect(start({ y: 2026, m: 0, d: 15 }, 'Asia/Kolkata')).toBe('2026-01-14T18:30:00.000Z') // UTC+5:30
  })

  it('rolls out-of-range days and months over, as Date.UTC does', () => {
    expect(start({ y: 2026, m: 0, d: 0 }, 'UTC')).toBe('2025-12-31T00:00:00.000Z')
    expect(start({ y: 2026, m: 12, d: 1 }, 'UTC')).toBe('2027-01-01T00:00:00.000Z')
    expect(start({ y: 2026, m: 2, d: 1 - 29 }, 'Europe/Berlin')).toBe('2026-01-30T23:00:00.000Z')
  })

  it('gives DST days 23 and 25 hours (Europe/Berlin, 2026)', () => {
    // 29 March: 02:00 CET → 03:00 CEST; the day begins at 00:00 CET (UTC+1).
    expect(start({ y: 2026, m: 2, d: 29 }, 'Europe/Berlin')).toBe('2026-03-28T23:00:00.000Z')
    expect(start({ y: 2026, m: 2, d: 30 }, 'Europe/Berlin')).toBe('2026-03-29T22:00:00.000Z')
    expect(hoursLong({ y: 2026, m: 2, d: 29 }, 'Europe/Berlin')).toBe(23)
    // 25 October: 03:00 CEST → 02:00 CET; the day begins at 00:00 CEST (UTC+2).
    expect(start({ y: 2026, m: 9, d: 25 }, 'Europe/Berlin')).toBe('2026-10-24T22:00:00.000Z')
    expect(start({ y: 2026, m: 9, d: 26 }, 'Europe/Berlin')).toBe('2026-10-25T23:00:00.000Z')
    expect(hoursLong({ y: 2026, m: 9, d: 25 }, 'Europe/Berlin')).toBe(25)
  })

  it('begins a day at 01:00 where a DST change skips its midnight (America/Santiago)', () => {
    // 6 September 2026: Saturday 24:00 (UTC−4) becomes Sunday 01:00 (UTC−3), at 04:00Z.
    expect(start({ y: 2026, m: 8, d: 5 }, 'America/Santiago')).toBe('2026-09-05T04:00:00.000Z')
    expect(start({ y: 2026, m: 8, d: 6 }, 'America/Santiago')).toBe('2026-09-06T04:00:00.000Z')
    expect(start({ y: 2026, m: 8, d: 7 }, 'America/Santiago')).toBe('2026-09-07T03:00:00.000Z')
    expect(hoursLong({ y: 2026, m: 8, d: 6 }, 'America/Santiago')).toBe(23)
    // 5 April 2026: Sunday 00:00 (UTC−3) goes back to Saturday 23:00 (UTC−4), so Saturday has
    // 25 hours and Sunday's midnight, once the hour is repeated, is 04:00Z.
    expect(start({ y: 2026, m: 3, d: 4 }, 'America/Santiago')).toBe('2026-04-04T03:00:00.000Z')
    expect(start({ y: 2026, m: 3, d: 5 }, 'America/Santiago')).toBe('2026-04-05T04:00:00.000Z')
    expect(hoursLong({ y: 2026, m: 3, d: 4 }, 'America/Santiago')).toBe(25)
  })

  it('begins a day the zone skipped where the next one begins (Pacific/Apia, 30 December 2011)', () => {
    // Samoa went from 29 December 24:00 (UTC−10) straight to 31 December 00:00 (UTC+14), 10:00Z.
    expect(start({ y: 2011, m: 11, d: 29 }, 'Pacific/Apia')).toBe('2011-12-29T10:00:00.000Z')
    expect(start({ y: 2011, m: 11, d: 30 }, 'Pacific/Apia')).toBe('2011-12-30T10:00:00.000Z')
    expect(start({ y: 2011, m: 11, d: 31 }, 'Pacific/Apia')).toBe('2011-12-30T10:00:00.000Z')
  })

  it('is, every day of a year in several zones, on that day while the instant before is not', () => {
    for (const tz of ['UTC', 'Europe/Berlin', 'America/Santiago', 'Australia/Lord_Howe', 'America/Havana']) {
      for (let d = 1; d <= 365; d++) {
        const day = { y: 2026, m: 0, d }
        const begins = startOfLocalDay(day, tz)
        const dayNumber = Date.UTC(day.y, day.m, day.d)
        const on = localDay(begins, tz)
        const before = localDay(new Date(begins.getTime() - 1), tz)
        expect(Date.UTC(on.y, on.m, on.d), `${tz} day ${d}`).toBe(dayNumber)
        expect(Date.UTC(before.y, before.m, before.d), `${tz} day ${d}`).toBe(dayNumber - 86_400_000)
      }
    }
  })
})
