// What the Ingestion view reads out of GET /v1/sites/:site/ingest (docs/api.md): which
// request covers the view's window, the pipeline lag its canaries measured, and the events
// inserted per chart bucket in the site's zone. Pure: test/ingest-summary.test.ts.
import { daysSinceMonday, localDay, startOfLocalDay } from '@sightline/contracts/local-calendar'
import type { CanaryLag, IngestAnswer, IngestParams } from './api.ts'
import type { Interval, Window } from './ranges.ts'

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000
/** The endpoint refuses an answer of more buckets than this. */
const MAX_INGEST_BUCKETS = 1_440

/**
 * The request for a window: by the hour while that fits the endpoint's bucket cap (every
 * preset does; one bucket is kept spare for a `from` that is not on a UTC hour), else by the
 * day. A window longer than the cap in days starts later: the table keeps 30 days, so nothing
 * it holds is left out.
 */
export function ingestParams(window: { from: Date; to: Date }): IngestParams {
  const to = window.to.getTime()
  const byHour = to - window.from.getTime() <= (MAX_INGEST_BUCKETS - 1) * HOUR_MS
  const from = byHour
    ? window.from.getTime()
    : Math.max(window.from.getTime(), to - (MAX_INGEST_BUCKETS - 1) * DAY_MS)
  return {
    from: new Date(from).toISOString(),
    to: window.to.toISOString(),
    interval: byHour ? 'hour' : 'day',
  }
}

export interface PipelineLag {
  /**
   * The largest of the bridges' newest canary lags: events through the slowest bridge are
   * the late ones, and "are my numbers late?" is answered by the latest, not the typical.
   */
  latestMs: number
  maxMs: number
  canaries: number
  bridges: number
  /**
   * The newest canary of the bridge heard from least recently. Canaries only measure what got
   * through: a stuck pipeline shows as this instant falling behind, not as a larger lag.
   */
  lastCanaryAt: string
}

/** The lag the canaries in the range measured, or undefined when none was committed in it. */
export function pipelineLag(canaries: CanaryLag[]): PipelineLag | undefined {
  if (canaries.length === 0) return undefined
  const stalest = canaries.reduce((a, b) =>
    Date.parse(b.last_created_at) < Date.parse(a.last_created_at) ? b : a,
  )
  return {
    latestMs: Math.max(...canaries.map((c) => c.last_lag_ms)),
    maxMs: Math.max(...canaries.map((c) => c.max_lag_ms)),
    canaries: canaries.reduce((n, c) => n + c.canaries, 0),
    bridges: canaries.length,
    lastCanaryAt: stalest.last_created_at,
  }
}

/** The start of the chart bucket (in the zone) an instant falls in; weeks start on Monday. */
function bucketStart(at: Date, interval: Interval, tz: string): number {
  // The endpoint's finest bucket is a UTC hour, so an hour chart cannot be finer than that.
  if (interval === 'hour') return Math.floor(at.getTime() / HOUR_MS) * HOUR_MS
  const day = localDay(at, tz)
  if (interval === 'day') return startOfLocalDay(day, tz).getTime()
  if (interval === 'week') return startOfLocalDay({ ...day, d: day.d - daysSinceMonday(day) }, tz).getTime()
  return startOfLocalDay({ ...day, d: 1 }, tz).getTime()
}

function nextBucket(start: number, interval: Interval, tz: string): number {
  if (interval === 'hour') return start + HOUR_MS
  const day = localDay(new Date(start), tz)
  if (interval === 'day') return startOfLocalDay({ ...day, d: day.d + 1 }, tz).getTime()
  if (interval === 'week') return startOfLocalDay({ ...day, d: day.d + 7 }, tz).getTime()
  return startOfLocalDay({ y: day.y, m: day.m + 1, d: 1 }, tz).getTime()
}

/**
 * Events inserted per bucket of the window's chart, on the site's calendar, every bucket
 * present. The answer's UTC buckets are placed by their middle (a UTC day lands on the local
 * day holding most of it) and kept inside the window, so the chart adds up to the total.
 */
export function insertedPerBucket(answer: IngestAnswer, window: Window): { bucket: string; count: number }[] {
  const counts = new Map<number, number>()
  const to = window.to.getTime()
  for (let at = bucketStart(window.from, window.interval, window.tz); at < to; ) {
    counts.set(at, 0)
    at = nextBucket(at, window.interval, window.tz)
  }
  const half = (answer.interval === 'day' ? DAY_MS : answer.interval === 'hour' ? HOUR_MS : 60_000) / 2
  for (const b of answer.buckets) {
    if (b.inserted === 0) continue
    const middle = Math.min(Math.max(Date.parse(b.start) + half, window.from.getTime()), to - 1)
    const key = bucketStart(new Date(middle), window.interval, window.tz)
    counts.set(key, (counts.get(key) ?? 0) + b.inserted)
  }
  return [...counts].map(([at, count]) => ({ bucket: new Date(at).toISOString(), count }))
}
