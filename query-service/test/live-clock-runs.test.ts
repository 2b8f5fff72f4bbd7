import { describe, expect, it } from 'vitest'
import { KeyInFlight } from '../src/http/key-concurrency.ts'
import { NAMED_RANGES } from '../src/insights/named-ranges.ts'
import { INSIGHTS } from '../src/insights/registry.ts'
import { checkClockStep, nextClockRun } from '../src/live/clock-runs.ts'
import { LiveQueries } from '../src/live/live-queries.ts'
import type { SiteWatermark } from '../src/ports.ts'
import { manualTimers } from './manual-timers.ts'

// Which live specs are re-run by the clock, and when. Checking a spec runs nothing, so the
// warehouse is never touched here.
const MINUTE = 60_000
const at = (iso: string) => new Date(iso).getTime()

describe('clock runs: when', () => {
  it('falls one second past every whole step since the epoch, strictly after the run', () => {
    expect(nextClockRun(at('2026-03-01T12:00:30Z'), MINUTE)).toBe(at('2026-03-01T12:01:01Z'))
    expect(nextClockRun(at('2026-03-01T12:00:00.500Z'), MINUTE)).toBe(at('2026-03-01T12:00:01Z'))
    expect(nextClockRun(at('2026-03-01T12:00:01Z'), MINUTE)).toBe(at('2026-03-01T12:01:01Z'))
    expect(nextClockRun(at('2026-03-01T12:00:00.999Z'), MINUTE)).toBe(at('2026-03-01T12:00:01Z'))
    expect(nextClockRun(at('2026-03-01T12:00:07.2Z'), 15_000)).toBe(at('2026-03-01T12:00:16Z'))
  })

  it('lands on a bucket start (+1 s) in zones a whole hour, half or three quarters off UTC', () => {
    // New York midnight, India's midnight (+05:30), Nepal's (+05:45) on 2026-03-02.
    for (const midnight of ['2026-03-02T05:00:00Z', '2026-03-01T18:30:00Z', '2026-03-01T18:15:00Z']) {
      expect(nextClockRun(at(midnight) - 30_000, MINUTE)).toBe(at(midnight) + 1_000)
    }
  })

  it('accepts only steps that divide a minute, so no bucket start falls between two runs', () => {
    for (const ok of [1_000, 5_000, 15_000, 30_000, 60_000]) expect(() => checkClockStep(ok)).not.toThrow()
    for (const bad of [0, 500, 7_000, 45_000, 120_000, 1_000.5]) {
      expect(() => checkClockStep(bad)).toThrow(/divisor of a minute/)
    }
  })
})

describe('clock runs: which specs', () => {
  const watermark: SiteWatermark = { forSite: () => 'w', onCommit: () => () => {} }
  const queries = new LiveQueries(
    { warehouse: {} as never, inFlight: new KeyInFlight({ maxInFlight: 1, retryAfterS: 1 }) },
    watermark,
    { minIntervalMs: 1_000, clockStepMs: MINUTE, timers: manualTimers(at('2026-03-01T12:00:00Z')).timers },
  )
  // The least each kind needs; the range is added below.
  const BASE: Record<string, Record<string, unknown>> = {
    stats: {},
    trends: { interval: 'hour' },
    breakdown: { by: 'page' },
    funnel: { steps: [{ event: 'a' }, { event: 'b' }] },
    funnel_persons: { steps: [{ event: 'a' }, { event: 'b' }], step: 1 },
    retention: { start: { event: 'signup' }, period: 'day' },
    paths: {},
    attribution: { conversion: { event: 'signup' } },
    rejected: {},
    events: {},
  }

  it('covers every kind', () => {
    expect(Object.keys(BASE).sort()).toEqual(INSIGHTS.map((i) => i.kind).sort())
  })

  it.each(Object.entries(BASE))(
    '%s: moves with the clock exactly when `to` is left to it or a range is named',
    (kind, base) => {
      const moves = (range: object) => queries.check('s', { kind, ...base, ...range }).movesWithClock
      expect(moves({})).toBe(true)
      expect(moves({ from: '2026-02-20T00:00:00Z' })).toBe(true)
      expect(moves({ to: '2026-02-28T00:00:00Z' })).toBe(false)
      expect(moves({ from: '2026-02-20T00:00:00Z', to: '2026-02-28T00:00:00Z' })).toBe(false)
      // Every named range, closed ones too: `last_month` stays the same period for weeks.
      for (const range of NAMED_RANGES) expect(moves({ range }), range).toBe(true)
    },
  )

  it('keeps a named range by its name in the group key, never as the instants it stands for', () => {
    const { canonical } = queries.check('s', { kind: 'stats', range: 'today' })
    expect(JSON.parse(canonical)).toEqual({
      kind: 'stats',
      params: { range: 'today', include_bots: false, explain: false },
    })
  })
})
