import { describe, expect, it } from 'vitest'
import type { CanaryLag, IngestAnswer, IngestInterval } from '../src/api.ts'
import { ingestParams, insertedPerBucket, pipelineLag } from '../src/ingest-summary.ts'
import { resolveWindow } from '../src/ranges.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const STEP: Record<IngestInterval, number> = { minute: 60_000, hour: HOUR, day: DAY }

/** How many buckets the endpoint would answer (it refuses more than 1,440): from rounded down. */
function endpointBuckets(p: { from: string; to: string; interval: IngestInterval }): number {
  const step = STEP[p.interval]
  return Math.ceil((Date.parse(p.to) - Math.floor(Date.parse(p.from) / step) * step) / step)
}

function answer(interval: IngestInterval, inserted: Array<[string, number]>): IngestAnswer {
  const zero = { duplicates: 0, refused: 0, refused_by_reason: [] }
  return {
    site: 's',
    from: inserted[0]![0],
    to: inserted.at(-1)![0],
    interval,
    totals: { inserted: inserted.reduce((n, [, i]) => n + i, 0), ...zero },
    buckets: inserted.map(([start, n]) => ({ start, inserted: n, ...zero })),
    canaries: [],
  }
}

describe('the Ingestion view’s reading of GET /ingest', () => {
  const now = new Date('2024-03-15T13:45:00Z')

  it('asks by the hour for the presets, by the day beyond, and never for more buckets than the endpoint answers', () => {
    const week = resolveWindow('7d', now, undefined, 'Europe/Berlin')
    expect(ingestParams(week)).toEqual({
      from: week.from.toISOString(),
      to: week.to.toISOString(),
      interval: 'hour',
    })
    // 60 days from a half-hour zone's midnight: 1,441 UTC hours, so by the day.
    const sixty = resolveWindow('custom', now, { from: '2024-01-01', to: '2024-02-29' }, 'Asia/Kolkata')
    expect(ingestParams(sixty)).toMatchObject({ from: sixty.from.toISOString(), interval: 'day' })
    const years = resolveWindow('custom', now, { from: '2015-01-01', to: '2024-03-15' }, 'UTC')
    const long = ingestParams(years)
    expect(long.interval).toBe('day')
    expect(Date.parse(long.from)).toBeGreaterThan(years.from.getTime())
    for (const w of [week, sixty, years, resolveWindow('month', now, undefined, 'Asia/Kolkata')]) {
      expect(endpointBuckets(ingestParams(w))).toBeLessThanOrEqual(1_440)
    }
  })

  it('takes the worst newest lag of the bridges, the largest lag, and the stalest bridge’s last canary', () => {
    expect(pipelineLag([])).toBeUndefined()
    const bridges: CanaryLag[] = [
      {
        bridge_id: 'a',
        canaries: 60,
        last_created_at: '2024-03-15T13:44:00.000Z',
        last_lag_ms: 120,
        max_lag_ms: 900,
      },
      {
        bridge_id: 'b',
        canaries: 12,
        last_created_at: '2024-03-15T13:30:00.000Z',
        last_lag_ms: 450,
        max_lag_ms: 600,
      },
    ]
    expect(pipelineLag(bridges)).toEqual({
      latestMs: 450,
      maxMs: 900,
      canaries: 72,
      bridges: 2,
      lastCanaryAt: '2024-03-15T13:30:00.000Z',
    })
  })

  it('folds UTC hours into the site’s days, every day present, adding up to the total', () => {
    // New York is UTC−4 after 10 March 2024: its 14 March is 04:00Z to 04:00Z.
    const window = resolveWindow('custom', now, { from: '2024-03-13', to: '2024-03-15' }, 'America/New_York')
    const hours = answer('hour', [
      ['2024-03-14T03:00:00.000Z', 2], // 23:00 on the 13th
      ['2024-03-14T04:00:00.000Z', 5], // midnight on the 14th
      ['2024-03-15T03:00:00.000Z', 1], // 23:00 on the 14th
    ])
    expect(insertedPerBucket(hours, window)).toEqual([
      { bucket: '2024-03-13T04:00:00.000Z', count: 2 },
      { bucket: '2024-03-14T04:00:00.000Z', count: 6 },
      { bucket: '2024-03-15T04:00:00.000Z', count: 0 },
    ])
  })

  it('places a UTC day by its middle, and keeps a bucket that starts before the window inside it', () => {
    const window = {
      ...resolveWindow('custom', now, { from: '2024-03-04', to: '2024-03-17' }, 'Asia/Tokyo'),
      interval: 'week' as const,
    }
    const days = answer('day', [
      ['2024-03-03T00:00:00.000Z', 4], // starts before the window (09:00 on the 3rd in Tokyo)
      ['2024-03-10T00:00:00.000Z', 3], // Sunday 10 March UTC: mostly that Sunday in Tokyo too
      ['2024-03-11T00:00:00.000Z', 1],
    ])
    // Weeks from Monday 4 and Monday 11 March, local midnight (15:00Z the day before).
    expect(insertedPerBucket(days, window)).toEqual([
      { bucket: '2024-03-03T15:00:00.000Z', count: 7 },
      { bucket: '2024-03-10T15:00:00.000Z', count: 1 },
    ])
  })
})
