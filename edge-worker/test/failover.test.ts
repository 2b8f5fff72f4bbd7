import { responseContractProblems } from '@sightline/http'
import { describe, expect, it } from 'vitest'
import { BridgeHealth } from '../src/bridge-health.ts'
import { QUOTA_MESSAGE, QUOTA_RETRY_AFTER_S } from './support/constants.ts'
import {
  bridgeLog,
  bridgeUrl,
  type ErrorJson,
  makeEvent,
  post,
  testApp,
  WRITE_KEY,
} from './support/harness.ts'

describe('fails over between bridges', () => {
  it('first bridge answers 500 → the second takes the same batch', async () => {
    const { app, namespace } = testApp(['fail', 'ok'])
    const res = await post(app, '/v1/batch', { batch: [makeEvent()] })
    expect(res.status).toBe(200)
    const log = await bridgeLog(namespace)
    expect(log.map((a) => a.mode)).toEqual(['fail', 'ok'])
    expect(log[0]?.batch?.batch_id).toBeTruthy()
    expect(log[1]?.batch?.batch_id).toBe(log[0]?.batch?.batch_id)
    expect(log.every((a) => a.verified)).toBe(true)
  })

  it('first bridge times out → the second takes it within the attempt timeout', async () => {
    const { app, namespace } = testApp(['timeout', 'ok'], { attemptTimeoutMs: 300 })
    const started = Date.now()
    const res = await post(app, '/v1/batch', { batch: [makeEvent()] })
    expect(res.status).toBe(200)
    expect(Date.now() - started).toBeLessThan(5_000)
    const log = await bridgeLog(namespace)
    expect(log.map((a) => a.mode)).toEqual(['timeout', 'ok'])
    expect(log[1]?.batch?.batch_id).toBe(log[0]?.batch?.batch_id)
  })

  it('a 4xx from a bridge also moves on to the next', async () => {
    const { app } = testApp(['reject', 'ok'])
    expect((await post(app, '/v1/batch', { batch: [makeEvent()] })).status).toBe(200)
  })

  it('an unreachable bridge (connection refused) moves on to the next', async () => {
    const namespace = crypto.randomUUID()
    const { app } = testApp([], {
      bridges: [
        // Port 9 (discard) is closed on test machines: the connection is refused at once.
        { url: 'http://127.0.0.1:9', region: 'dead', priority: 1 },
        { url: bridgeUrl(namespace, 'ok'), region: 'live', priority: 2 },
      ],
    })
    expect((await post(app, '/v1/batch', { batch: [makeEvent()] })).status).toBe(200)
    expect(await bridgeLog(namespace)).toHaveLength(1)
  })

  it('all bridges down → 503 no_bridge_available with Retry-After', async () => {
    const { app, namespace } = testApp(['fail', 'timeout', 'reject'], {
      attemptTimeoutMs: 200,
      retryAfterSeconds: 7,
    })
    const res = await post(app, '/v1/batch', { batch: [makeEvent()] })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('7')
    const body = (await res.json()) as ErrorJson
    expect(body.error.code).toBe('no_bridge_available')
    expect(body.error.docs).toMatch(/errors\.md#no_bridge_available$/)
    expect(body.error.request_id).toBeTruthy()
    expect((await bridgeLog(namespace)).map((a) => a.mode)).toEqual(['fail', 'timeout', 'reject'])
  })
})

describe('a bridge answering 429 (the site over its events_per_minute quota, ADR 0032)', () => {
  it('is passed to the client as it is — status, Retry-After, code and message — with no failover', async () => {
    const { app, namespace } = testApp(['quota', 'ok'])
    const res = await post(app, '/v1/batch', { batch: [makeEvent()] })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe(String(QUOTA_RETRY_AFTER_S))
    const body = (await res.clone().json()) as ErrorJson
    expect(body.error).toMatchObject({ code: 'site_quota_exceeded', message: QUOTA_MESSAGE })
    expect(body.error.docs).toMatch(/errors\.md#site_quota_exceeded$/)
    expect(await responseContractProblems(res)).toEqual([])
    // The second bridge shares the counters: asking it would only spend a round trip.
    expect((await bridgeLog(namespace)).map((a) => a.mode)).toEqual(['quota'])
  })

  it('does not mark the bridge unhealthy: the next batch goes to it first again', async () => {
    const { app, namespace } = testApp(['quota', 'ok'], { health: new BridgeHealth() })
    for (let i = 0; i < 2; i++)
      expect((await post(app, '/v1/batch', { batch: [makeEvent()] })).status).toBe(429)
    expect((await bridgeLog(namespace)).map((a) => a.mode)).toEqual(['quota', 'quota'])
  })

  it('after a failed bridge, the next one’s 429 is the answer (not 503)', async () => {
    const { app, namespace } = testApp(['fail', 'quota', 'ok'])
    const res = await post(app, '/v1/batch', { batch: [makeEvent()] })
    expect(res.status).toBe(429)
    expect(((await res.json()) as ErrorJson).error.code).toBe('site_quota_exceeded')
    expect((await bridgeLog(namespace)).map((a) => a.mode)).toEqual(['fail', 'quota'])
  })

  it('reaches clients of the other dialects too (PostHog batch)', async () => {
    const { app } = testApp(['quota'])
    // PostHog clients send the key in the body and read `{status: 1}` on success.
    const res = await app.request('/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        api_key: WRITE_KEY,
        batch: [{ event: 'clicked', distinct_id: 'd1', uuid: crypto.randomUUID() }],
      }),
    })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe(String(QUOTA_RETRY_AFTER_S))
  })
})
