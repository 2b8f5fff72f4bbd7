import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type EventStream, segmentLogStream } from '@sightline/stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Counters, createApp } from '../src/index.ts'
import { edgeBatch, SIGNING_KEYS, signedRequest } from './edge-batches.ts'

let dir: string
let stream: EventStream
let app: ReturnType<typeof createApp>
const topic = 'events.v1'

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'receiver-'))
  stream = segmentLogStream({ dir })
  app = createApp({ stream, topic, signingKeys: SIGNING_KEYS, counters: new Counters() })
})
afterEach(async () => {
  await stream.close().catch(() => {})
  rmSync(dir, { recursive: true, force: true })
})

async function consumeAll(group: string): Promise<string[]> {
  const values: string[] = []
  const want = await stream.lag(group, topic)
  await new Promise<void>((resolve) => {
    if (want === 0) return resolve()
    const consumer = stream.consume({ group, topic, maxWaitMs: 10 }, async (batch) => {
      for (const r of batch.records) values.push(new TextDecoder().decode(r.value))
      if (values.length >= want) void consumer.stop().then(resolve)
    })
  })
  return values
}

describe('bridge receiver', () => {
  it('appends a signed batch verbatim and answers only once it is durable', async () => {
    const body = JSON.stringify(edgeBatch(['a', 'b']))
    const res = await app.request('/v1/ingest', await signedRequest(body))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ ok: true, offset: 0 })
    expect(await consumeAll('check')).toEqual([body])
  })

  it('refuses a wrong signature, an unknown key id and a stale signature with the error contract', async () => {
    const body = JSON.stringify(edgeBatch(['a']))
    const cases = [
      await signedRequest(body, 'k1', 'wrong-secret-wrong-secret'),
      await signedRequest(body, 'k9', SIGNING_KEYS.k1),
      {
        method: 'POST',
        body,
        headers: { 'x-sightline-signature': `t=${Date.now() - 10 * 60_000},kid=k1,v1=${'0'.repeat(64)}` },
      },
      { method: 'POST', body },
    ]
    for (const init of cases) {
      const res = await app.request('/v1/ingest', init)
      expect(res.status).toBe(401)
      const json = (await res.json()) as { error: { code: string; request_id: string; docs: string } }
      expect(['invalid_signature', 'stale_signature']).toContain(json.error.code)
      expect(json.error.request_id).toBeTruthy()
    }
    expect(await stream.lag('check', topic)).toBe(0)
  })

  it('refuses signed garbage and malformed envelopes with a 4xx, never appending them', async () => {
    for (const body of ['{not json', '{"v":2}', JSON.stringify({ ...edgeBatch(['a']), batch_id: '' })]) {
      const res = await app.request('/v1/ingest', await signedRequest(body))
      expect(res.status).toBeGreaterThanOrEqual(400)
      expect(res.status).toBeLessThan(500)
    }
    expect(await stream.lag('check', topic)).toBe(0)
  })

  it('answers 503 with Retry-After when the stream cannot make the batch durable', async () => {
    await stream.close()
    const res = await app.request('/v1/ingest', await signedRequest(JSON.stringify(edgeBatch(['a']))))
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('1')
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_durable')
  })
})
