import { describe, expect, it } from 'vitest'
import { intervalFor, previousWindow, resolveWindow } from '../src/ranges.ts'

// Local time is the process's zone; these run under whatever TZ the machine has, so the
// expectations are built from local dates too (new Date(y, m, d)), and one case pins DST.
describe('dashboard date ranges', () => {
  const now = new Date(2024, 2, 15, 13, 45) // 15 March 2024, 13:45 local

  it('today, 7 and 30 days end at tonight’s midnight; the month is the calendar month', () => {
    expect(resolveWindow('today', now)).toEqual({
      from: new Date(2024, 2, 15),
      to: new Date(2024, 2, 16),
      interval: 'hour',
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
