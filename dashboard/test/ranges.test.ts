import { describe, expect, it } from 'vitest'
import {
  intervalFor,
  isoDate,
  previousWindow,
  resolveWindow,
  startOfDay,
  viewerTimeZone,
} from '../src/ranges.ts'

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
    expect(startOfDay({ y: 2024, m: 9, d: 27 }, 'Europe/Berlin')).toEqual(new Date('2024-10-26T22:00:00Z'))
    expect(isoDate(new Date('2024-03-09T23:30:00Z'), 'Europe/Berlin')).toBe('2024-03-10')
    expect(isoDate(new Date('2024-03-09T23:30:00Z'), 'UTC')).toBe('2024-03-09')
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
