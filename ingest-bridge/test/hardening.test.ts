import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { errorContractProblems } from '@sightline/http'
import { type EventStream, segmentLogStream } from '@sightline/stream'
import { type TempDir, tempDir } from '@sightline/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  Counters,
  composePipeline,
  createApp,
  DEFAULT_LIMITS,
  MAX_EDGE_BATCH_BYTES,
  type Pipeline,
  ReplayGuard,
} from '../src/index.ts'
import { chunkedFlood, slowHeaders } from './attack-helpers.ts'
import { edgeBatch, SIGNING_KEYS, signedRequest } from './edge-batches.ts'

// Attacks from the hostile audit, against a real listener built by the composer.
let dir: TempDir
let pipeline: Pipeline
let base: string
const topic = 'events.v1'

beforeAll(async () => {
  dir = await tempDir('bridge-hardening-')
  pipeline = await composePipeline({
    stream: { kind: 'segment-log', dir: join(dir.path, 'stream'), fsync: false },
    receiver: {
      host: '127.0.0.1',
      port: 0,
      signingKeys: SIGNING_KEYS,
      metricsToken: 'metrics-token-0123456789',
      limits: { headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 },
    },
  })
  base = `http://127.0.0.1:${(pipeline.bridge!.address() as AddressInfo).port}`
})
afterAll(async () => {
  await pipeline.stop()
  await dir.cleanup()
})

describe('bridge under attack', () => {
  it('refuses a 300 MB unsigned chunked POST after reading at most its cap', async () => {
    const res = await chunkedFlood(`${base}/v1/ingest`, 300 * 1024 * 1024)
    expect(res.status).toBe(413)
    expect(errorContractProblems(res.status, res.headers, res.body)).toEqual([])
    expect(JSON.parse(res.body).error.code).toBe('payload_too_large')
    // It stopped reading at the cap: the client had sent little more than it (socket buffers).
    expect(res.sentBytes).toBeLessThan(MAX_EDGE_BATCH_BYTES + 16 * 1024 * 1024)
    expect(await pipeline.stream.lag('check', topic)).toBe(0)
  })

  it('refuses a declared oversized Content-Length before reading a byte', async () => {
    const flood = await chunkedFlood(`${base}/v1/ingest`, 300 * 1024 * 1024, {
      'content-length': String(300 * 1024 * 1024),
    })
    expect(flood.status).toBe(413)
    expect(errorContractProblems(flood.status, flood.headers, flood.body)).toEqual([])
    expect(JSON.parse(flood.body).error.code).toBe('payload_too_large')
    expect(flood.sentBytes).toBeLessThan(16 * 1024 * 1024)
  })

  it('cuts a slow-header client within the header timeout', async () => {
    const heldMs = await slowHeaders((pipeline.bridge!.address() as AddressInfo).port)
    // Header timeout 1 s here (checked every second); the defaults are 10 s and 15 s.
    expect(heldMs).toBeLessThan(4_000)
    expect(DEFAULT_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(15_000)
    expect(DEFAULT_LIMITS.requestTimeoutMs).toBeLessThanOrEqual(15_000)
  })

  it('keeps /metrics (which names every site) behind its token', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(404)
    const wrong = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer nope' } })
    expect(wrong.status).toBe(404)
    const right = await fetch(`${base}/metrics`, {
      headers: { authorization: 'Bearer metrics-token-0123456789' },
    })
    expect(right.status).toBe(200)
    expect(await right.text()).toContain('sightline_bridge_batches_total')
  })

  it('answers /healthz and /readyz', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true })
    const ready = await fetch(`${base}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ ok: true, roles: { receiver: { ready: true } } })
  })
})

describe('replayed signed batches', () => {
  let replayDir: TempDir
  let stream: EventStream
  afterAll(async () => {
    await stream.close()
    await replayDir.cleanup()
  })

  it('a captured signed batch replayed within the window is not appended again', async () => {
    replayDir = await tempDir('bridge-replay-')
    stream = segmentLogStream({ dir: join(replayDir.path, 'stream'), fsync: false })
    const app = createApp({ stream, topic, signingKeys: SIGNING_KEYS, counters: new Counters() })
    const captured = await signedRequest(JSON.stringify(edgeBatch(['a', 'b'])))
    const first = await app.request('/v1/ingest', captured)
    expect(first.status).toBe(200)
    for (let i = 0; i < 5; i++) {
      const replay = await app.request('/v1/ingest', captured)
      expect(replay.status).toBe(200)
      expect(await replay.json()).toMatchObject({ duplicate: true })
    }
    expect(await stream.lag('check', topic)).toBe(1)
  })

  it('remembers a bounded number of ids, refusing signatures older than what it forgot', () => {
    const guard = new ReplayGuard(3, 300_000)
    const now = 1_000_000
    for (let i = 0; i < 5; i++) guard.remember(`b${i}`, now + i, now + i)
    expect(guard.size).toBe(3)
    // b0 and b1 were forgotten: a replay of them is refused by the floor, not appended.
    expect(guard.check('b0', now)).toBe('too_old')
    expect(guard.check('b1', now + 1)).toBe('too_old')
    expect(guard.check('b4', now + 4)).toBe('seen')
    expect(guard.check('new', now + 10)).toBe('fresh')
    // Ids past the signature window are dropped without raising the floor.
    const windowed = new ReplayGuard(100, 1_000)
    windowed.remember('old', now, now)
    windowed.remember('later', now + 5_000, now + 5_000)
    expect(windowed.size).toBe(1)
    expect(windowed.check('other', now + 4_000)).toBe('fresh')
  })
})
