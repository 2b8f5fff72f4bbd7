import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  bucketStarts,
  INGEST_INTERVALS,
  INTERVAL_MS,
  MAX_INGEST_BUCKETS,
  planCanaries,
  planIngestCounts,
  resolveIngest,
} from './plan.ts'

const date = fc.date({
  min: new Date('1970-03-01T00:00:00Z'),
  max: new Date('2105-01-01T00:00:00Z'),
  noInvalidDate: true,
})
const interval = fc.constantFrom(...INGEST_INTERVALS)
const DAY_MS = 86_400_000

describe('ingest planner', () => {
  it('keeps every value out of the SQL text, for any site, range and interval', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 60 }), date, date, interval, (site, from, to, i) => {
        const reference = { site: 's', from: new Date(0), to: new Date(1), interval: 'minute' as const }
        const spec = { site, from, to, interval: i }
        expect(planIngestCounts(spec).sql).toBe(planIngestCounts(reference).sql)
        expect(planIngestCounts(spec).params).toMatchObject({ site, step_s: INTERVAL_MS[i] / 1000 })
        expect(planCanaries(spec).sql).toBe(planCanaries(reference).sql)
        // Canaries are the pipeline's: the site is not even a parameter of their read.
        expect(Object.values(planCanaries(spec).params)).not.toContain(site)
      }),
    )
  })

  it('accepts a range exactly when its buckets fit, and answers that many buckets', () => {
    fc.assert(
      fc.property(date, fc.integer({ min: 1, max: 3 * DAY_MS }), interval, (from, spanMs, i) => {
        const to = new Date(from.getTime() + spanMs)
        const resolved = resolveIngest({ from, to, interval: i }, 'site', to)
        const buckets = bucketStarts({ site: 'site', from, to, interval: i })
        expect('spec' in resolved).toBe(buckets.length <= MAX_INGEST_BUCKETS)
        // The first bucket holds `from`, the last one starts before `to`, none is skipped.
        expect(buckets[0]).toBeLessThanOrEqual(from.getTime())
        expect(buckets.at(-1)!).toBeLessThan(to.getTime())
        expect(buckets.at(-1)! + INTERVAL_MS[i]).toBeGreaterThanOrEqual(to.getTime())
      }),
    )
  })
})
