import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { responseContractProblems } from '@sightline/http'
import { memoryCounters, type RateCounters } from '@sightline/state'
import { type EventStream, segmentLogStream } from '@sightline/stream'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { Counters, createApp } from '../src/index.ts'
import { edgeBatch, SIGNING_KEYS, signedRequest } from './edge-batches.ts'

// The receiver's per-site quota (ADR 0032) over the in-memory twin of the shared counters,
// on a clock the test moves (the signature window is ±5 minutes, so a few minutes is fine).
const dir = mkdtempSync(join(tmpdir(), 'bridge-quota-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const topic = 'events.v1'
const MINUTE = 60_000
const LIMITS: Record<string, number> = { capped: 500, roomy: 5_000 }

const streams: EventStream[] = []
afterEach(async () => {
  for (const s of streams.splice(0)) await s.close().catch(() => {})
})

interface Bridge {
  app: ReturnType<typeof createApp>
  stream: EventStream
  metrics: Counters
  counters: RateCounters
  logs: string[]
  clock: { now: number }
}

/** A receiver whose clock starts 10 s into a minute window (aligned as every bridge aligns it). */
function bridge(counters?: RateCounters): Bridge {
  const clock = { now: Math.floor(Date.now() / MINUTE) * MINUTE + 10_000 }
  const stream = segmentLogStream({ dir: mkdtempSync(join(dir, 's-')), fsync: false })
  streams.push(stream)
  const metrics = new Counters()
  const logs: string[] = []
  const rate = counters ?? memoryCounters({ now: () => clock.now })
  const app = createApp({
    stream,
    topic,
    signingKeys: SIGNING_KEYS,
    counters: metrics,
    now: () => clock.now,
    log: (level, msg) => logs.push(`${level}: ${msg}`),
    quota: { counters: rate, eventsPerMinute: (site) => LIMITS[site] },
  })
  return { app, stream, metrics, counters: rate, logs, clock }
}

let n = 0
const ids = (count: number) => Array.from({ length: count }, () => `q-${++n}`)

async function send(b: Bridge, site: string, events: number): Promise<Response> {
  return b.app.request('/v1/ingest', await signedRequest(JSON.stringify(edgeBatch(ids(events), site))))
}

describe('per-site quota at the receiver', () => {
  it('answers 429 site_quota_exceeded with Retry-After once a site is over its limit, storing nothing of that batch', async () => {
    const b = bridge()
    expect((await send(b, 'capped', 200)).status).toBe(200)
    expect((await send(b, 'capped', 200)).status).toBe(200)
    const over = await send(b, 'capped', 200)
    expect(over.status).toBe(429)
    // 50 s are left of the minute window the count is in.
    expect(over.headers.get('retry-after')).toBe('50')
    expect(await responseContractProblems(over)).toEqual([])
    const body = (await over.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('site_quota_exceeded')
    expect(body.error.message).toMatch(/capped .*500 events per minute/)
    expect(await b.stream.lag('check', topic)).toBe(2)

    // The refused batch charged nothing: what is left of the 500 still fits, then nothing does.
    expect((await send(b, 'capped', 100)).status).toBe(200)
    expect((await send(b, 'capped', 1)).status).toBe(429)
    expect(await b.stream.lag('check', topic)).toBe(3)
    expect(
      b.metrics.get('sightline_bridge_refused_events_total', {
        site: 'capped',
        reason: 'site_quota_exceeded',
      }),
    ).toBe(201)
    expect(b.metrics.get('sightline_bridge_batches_total', { outcome: 'site_quota_exceeded' })).toBe(2)
    expect(b.metrics.get('sightline_bridge_events_total', { site: 'capped' })).toBe(500)
  })

  it('leaves other sites alone: their own limit, or none', async () => {
    const b = bridge()
    expect((await send(b, 'capped', 500)).status).toBe(200)
    expect((await send(b, 'capped', 1)).status).toBe(429)
    for (let i = 0; i < 4; i++) expect((await send(b, 'roomy', 500)).status).toBe(200)
    for (let i = 0; i < 12; i++) expect((await send(b, 'unlimited', 500)).status).toBe(200)
    // A site without a limit costs no round trip: nothing is counted for it.
    expect((await b.counters.read('unlimited', 'events', MINUTE, b.clock.now)).current).toBe(0)
    expect(b.metrics.total('sightline_bridge_refused_events_total')).toBe(1)
  })

  it('lets the site in again as the sliding window moves on', async () => {
    const b = bridge()
    expect((await send(b, 'capped', 500)).status).toBe(200)
    // Half a minute into the next window, half of the previous one still counts: 250 fit.
    b.clock.now += MINUTE + 20_000
    expect((await send(b, 'capped', 300)).status).toBe(429)
    expect((await send(b, 'capped', 250)).status).toBe(200)
    b.clock.now += 2 * MINUTE
    expect((await send(b, 'capped', 500)).status).toBe(200)
  })

  it('does not charge a batch twice: a replayed batch is answered from the replay memory', async () => {
    const b = bridge()
    const init = await signedRequest(JSON.stringify(edgeBatch(ids(400), 'capped')))
    expect((await b.app.request('/v1/ingest', init)).status).toBe(200)
    const again = await b.app.request('/v1/ingest', init)
    expect(await again.json()).toMatchObject({ duplicate: true })
    expect((await send(b, 'capped', 100)).status).toBe(200)
  })

  it('gives the events back when the batch could not be made durable (the edge tries another bridge)', async () => {
    const b = bridge()
    await b.stream.close()
    const res = await send(b, 'capped', 400)
    expect(res.status).toBe(503)
    expect((await b.counters.read('capped', 'events', MINUTE, b.clock.now)).current).toBe(0)
  })

  it('fails open when the counters do not answer: accepts, counts the events as degraded, logs the switch once', async () => {
    let down = true
    const twin = memoryCounters()
    const flaky: RateCounters = {
      add: (...args) => (down ? Promise.reject(new Error('connection refused')) : twin.add(...args)),
      read: (...args) => twin.read(...args),
    }
    const b = bridge(flaky)
    for (let i = 0; i < 3; i++) expect((await send(b, 'capped', 400)).status).toBe(200)
    expect(b.metrics.get('sightline_bridge_quota_degraded_events_total', { site: 'capped' })).toBe(1200)
    expect(b.metrics.total('sightline_bridge_refused_events_total')).toBe(0)
    expect(b.logs.filter((l) => l.startsWith('warn: quota counters'))).toHaveLength(1)
    down = false
    expect((await send(b, 'capped', 400)).status).toBe(200)
    expect(b.logs.filter((l) => l.startsWith('info: quota counters answer'))).toHaveLength(1)
    expect((await send(b, 'capped', 400)).status).toBe(429)
  })
})
