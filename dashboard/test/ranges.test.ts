import { describe, expect, it } from 'vitest'
import { intervalFor, isoDate, previousWindow, resolveWindow, viewerTimeZone } from '../src/ranges.ts'

// Local time is the process's zone; these run under whatever TZ the machine has, so the
// expectations are built from local dates too (new Date(y, m, d)), and one case pins DST.
describe('dashboard date ranges', () => {
  const now = new Date(2024, 2, 15, 13, 45) // 15 March 2024, 13:45 local

  it('today, 7 and 30 days end at tonight’s midnight; the month is the calendar month', () => {
    expect(resolveWindow('today', now)).toEqual({
      from: new Date(2024, 2, 15),
      to: new Date(2024, 2, 16),
      interval: 'hour',
      tz: viewerTimeZone(),
    })
    expect(resolveWindow('7d', now)).toMatchObject({ from: new Date(2024, 2, 9), to: new Date(2024, 2, 16) })
    expect(resolveWindow('30d', now)).toMatchObject({
      from: new Date(2024, 1, 15),
      to: new Date(2024, 2, 16),
    })
    expect(resolveWindow('month', now)).toEqual({
      from: new Date(2024, 2, 1),
      to: new Date(2024, 3, 1),
      interval: 'day',
      tz: viewerTimeZone(),
    })
  })

  it('a custom range includes its last day; a reversed one shrinks to its first day', () => {
    expect(resolveWindow('custom', now, { from: '2024-01-01', to: '2024-01-31' })).toMatchObject({
      from: new Date(2024, 0, 1),
      to: new Date(2024, 1, 1),
    })
    expect(resolveWindow('custom', now, { from: '2024-01-10', to: '2024-01-01' })).toMatchObject({
      from: new Date(2024, 0, 10),
      to: new Date(2024, 0, 11),
    })
  })

  it("counts days on the site's calendar, wherever the viewer is, across DST", () => {
    // 23:30 UTC on 9 March is already 10 March in Berlin, still 9 March in Los Angeles.
    const at = new Date('2024-03-09T23:30:00Z')
    expect(resolveWindow('today', at, undefined, 'Europe/Berlin')).toEqual({
      from: new Date('2024-03-09T23:00:00Z'),
      to: new Date('2024-03-10T23:00:00Z'),
      interval: 'hour',
      tz: 'Europe/Berlin',
    })
    expect(resolveWindow('today', at, undefined, 'America/Los_Angeles')).toMatchObject({
      from: new Date('2024-03-09T08:00:00Z'),
      to: new Date('2024-03-10T08:00:00Z'),
    })
    // 10 March 2024 is 23 hours long in New York (clocks go forward at 02:00).
    const ny = resolveWindow('custom', at, { from: '2024-03-10', to: '2024-03-10' }, 'America/New_York')
    expect(ny).toMatchObject({ from: new Date('2024-03-10T05:00:00Z'), to: new Date('2024-03-11T04:00:00Z') })
    // A month across the change, and one across a year's end.
    expect(
      resolveWindow('month', new Date('2024-03-20T12:00:00Z'), undefined, 'Europe/Berlin'),
    ).toMatchObject({
      from: new Date('2024-02-29T23:00:00Z'),
      to: new Date('2024-03-31T22:00:00Z'),
    })
    expect(resolveWindow('month', new Date('2024-12-31T23:30:00Z'), undefined, 'Asia/Tokyo')).toMatchObject({
      from: new Date('2024-12-31T15:00:00Z'),
      to: new Date('2025-01-31T15:00:00Z'),
    })
    // 27 October 2024 is 25 hours long in Berlin: from 00:00 CEST to 00:00 CET.
    expect(
      resolveWindow('custom', at, { from: '2024-10-27', to: '2024-10-27' }, 'Europe/Berlin'),
    ).toMatchObject({ from: new Date('2024-10-26T22:00:00Z'), to: new Date('2024-10-27T23:00:00Z') })
    expect(isoDate(new Date('2024-03-09T23:30:00Z'), 'Europe/Berlin')).toBe('2024-03-10')
    expect(isoDate(new Date('2024-03-09T23:30:00Z'), 'UTC')).toBe('2024-03-09')
  })

  it('a 23-hour day (Europe/Berlin, 29 March 2026) in every preset', () => {
    // Clocks went from 02:00 CET (UTC+1) to 03:00 CEST (UTC+2): the day began at 00:00 CET
    // (28 March 23:00Z) and ended at 00:00 CEST on the 30th (29 March 22:00Z).
    const at = new Date('2026-03-29T12:00:00Z')
    const hours = (w: { from: Date; to: Date }) => (w.to.getTime() - w.from.getTime()) / 3_600_000
    const today = resolveWindow('today', at, undefined, 'Europe/Berlin')
    expect(today).toEqual({
      from: new Date('2026-03-28T23:00:00Z'),
      to: new Date('2026-03-29T22:00:00Z'),
      interval: 'hour',
      tz: 'Europe/Berlin',
    })
    expect(hours(today)).toBe(23)
    // Monday 23 March and the six days after it, all CET until the 29th.
    const week = resolveWindow('7d', at, undefined, 'Europe/Berlin')
    expect(week).toMatchObject({
      from: new Date('2026-03-22T23:00:00Z'),
      to: new Date('2026-03-29T22:00:00Z'),
    })
    expect(hours(week)).toBe(7 * 24 - 1)
    // 29 days before 29 March is 28 February.
    expect(resolveWindow('30d', at, undefined, 'Europe/Berlin')).toMatchObject({
      from: new Date('2026-02-27T23:00:00Z'),
      to: new Date('2026-03-29T22:00:00Z'),
    })
    // March ends at 1 April 00:00 CEST.
    expect(resolveWindow('month', at, undefined, 'Europe/Berlin')).toMatchObject({
      from: new Date('2026-02-28T23:00:00Z'),
      to: new Date('2026-03-31T22:00:00Z'),
    })
  })

  it('starts a day where a DST change skips its midnight (America/Santiago, 6 September 2026)', () => {
    // Clocks went from Saturday 24:00 (UTC−4) straight to Sunday 01:00 (UTC−3): Sunday has no
    // midnight and began at 01:00 local, 04:00Z; Monday began at its midnight, 03:00Z.
    const at = new Date('2026-09-06T15:00:00Z')
    const today = resolveWindow('today', at, undefined, 'America/Santiago')
    expect(today).toEqual({
      from: new Date('2026-09-06T04:00:00Z'),
      to: new Date('2026-09-07T03:00:00Z'),
      interval: 'hour',
      tz: 'America/Santiago',
    })
    // Saturday the 5th ended at the same instant Sunday began, not an hour before it.
    expect(
      resolveWindow('custom', at, { from: '2026-09-05', to: '2026-09-05' }, 'America/Santiago'),
    ).toMatchObject({ from: new Date('2026-09-05T04:00:00Z'), to: new Date('2026-09-06T04:00:00Z') })
    expect(
      resolveWindow('custom', at, { from: '2026-09-06', to: '2026-09-06' }, 'America/Santiago'),
    ).toMatchObject({ from: new Date('2026-09-06T04:00:00Z'), to: new Date('2026-09-07T03:00:00Z') })
    // 04:00Z is already the 6th there; a millisecond before is still the 5th.
    expect(isoDate(new Date('2026-09-06T04:00:00Z'), 'America/Santiago')).toBe('2026-09-06')
    expect(isoDate(new Date('2026-09-06T03:59:59.999Z'), 'America/Santiago')).toBe('2026-09-05')
  })

  it('picks a bucket that stays under the API’s 2,000-bucket cap', () => {
    const h = 3_600_000
    const at = new Date('2024-01-01T00:00:00Z')
    const span = (hours: number) => new Date(at.getTime() + hours * h)
    expect(intervalFor(at, span(48))).toBe('hour')
    expect(intervalFor(at, span(49))).toBe('day')
    expect(intervalFor(at, span(24 * 93))).toBe('day')
    expect(intervalFor(at, span(24 * 94))).toBe('week')
    expect(intervalFor(at, span(24 * 800))).toBe('month')
  })

  it('the previous period has the same length and ends where this one starts', () => {
    const w = resolveWindow('7d', now)
    const p = previousWindow(w)
    expect(p.to).toEqual(w.from)
    expect(w.to.getTime() - w.from.getTime()).toBe(p.to.getTime() - p.from.getTime())
  })
})
