import { CANARY_SITE, canaryBatch, type EdgeBatch, readCanary } from '@sightline/contracts'
import { type EventStream, segmentLogStream } from '@sightline/stream'
import { eventually, type TempDir, tempDir } from '@sightline/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Counters, createApp } from '../src/index.ts'
import { startCanary } from '../src/receiver/canary.ts'
import { edgeBatch, edgeEvent, SIGNING_KEYS, signedRequest } from './edge-batches.ts'

let dir: TempDir
let stream: EventStream
const topic = 'events.v1'

beforeEach(async () => {
  dir = await tempDir('canary-')
  stream = segmentLogStream({ dir: dir.path })
})
afterEach(async () => {
  await stream.close().catch(() => {})
  await dir.cleanup()
})

/** Every record of the topic so far, decoded, with its key. */
async function records(group: string): Promise<Array<{ key: string; batch: EdgeBatch }>> {
  const out: Array<{ key: string; batch: EdgeBatch }> = []
  const want = await stream.lag(group, topic)
  await new Promise<void>((resolve) => {
    if (want === 0) return resolve()
    const consumer = stream.consume({ group, topic, maxWaitMs: 10 }, async (batch) => {
      for (const r of batch.records)
        out.push({ key: r.key ?? '', batch: JSON.parse(new TextDecoder().decode(r.value)) as EdgeBatch })
      if (out.length >= want) void consumer.stop().then(resolve)
    })
  })
  return out
}

describe('the bridge canary', () => {
  it('appends one canary per interval through the stream, with its bridge id and creation instant', async () => {
    const counters = new Counters()
    let clock = Date.parse('2030-05-01T10:00:00.000Z')
    const canary = startCanary({
      stream,
      topic,
      bridgeId: 'eu-1',
      intervalMs: 20,
      counters,
      now: () => clock++,
    })
    await eventually(
      () => stream.lag('check', topic),
      (n) => n >= 3,
    )
    await canary.stop()
    const sent = await records('check')
    expect(sent.length).toBeGreaterThanOrEqual(3)
    const created = sent.map(({ key, batch }) => {
      expect(key).toBe(CANARY_SITE)
      expect(batch).toMatchObject({ site_id: CANARY_SITE, ingest_path: 'canary' })
      expect(batch.events).toHaveLength(1)
      expect(batch.events[0]).toMatchObject({ ingest_path: 'canary', site_id: CANARY_SITE })
      const read = readCanary(batch.events[0]!)
      expect(read?.bridgeId).toBe('eu-1')
      return read!.createdAtMs
    })
    // One creation instant per canary, from the injected clock, in order.
    expect(created).toEqual([...created].sort((a, b) => a - b))
    expect(new Set(created).size).toBe(created.length)
    expect(created[0]).toBe(Date.parse('2030-05-01T10:00:00.000Z'))
    expect(counters.get('sightline_bridge_canaries_total', { outcome: 'durable' })).toBe(sent.length)
    // Stopped means stopped.
    const lag = await stream.lag('after', topic)
    await new Promise((r) => setTimeout(r, 80))
    expect(await stream.lag('after', topic)).toBe(lag)
  })

  it('counts a canary the stream cannot take and keeps sending', async () => {
    const counters = new Counters()
    await stream.close()
    const canary = startCanary({ stream, topic, bridgeId: 'eu-1', intervalMs: 10, counters })
    await eventually(
      async () => counters.get('sightline_bridge_canaries_total', { outcome: 'failed' }),
      (n) => n >= 2,
    )
    await canary.stop()
  })
})

describe('the receiver and canaries from outside', () => {
  it('refuses a signed batch that claims to be a canary, by site, batch or event path', async () => {
    const app = createApp({ stream, topic, signingKeys: SIGNING_KEYS, counters: new Counters() })
    const real = canaryBatch({ bridgeId: 'forged', createdAtMs: Date.now() }, 'forged')
    const mixed = edgeBatch(['ok-1'])
    mixed.events.push(edgeEvent('sneaky', { ingest_path: 'canary' }))
    const byPath = { ...edgeBatch(['ok-2']), ingest_path: 'canary' }
    for (const batch of [real, mixed, byPath]) {
      const res = await app.request('/v1/ingest', await signedRequest(JSON.stringify(batch)))
      expect(res.status).toBe(400)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request')
    }
    expect(await stream.lag('check', topic)).toBe(0)
    // An ordinary batch still goes through.
    const ok = await app.request('/v1/ingest', await signedRequest(JSON.stringify(edgeBatch(['ok-3']))))
    expect(ok.status).toBe(200)
  })
})
