import { describe, expect, it } from 'vitest'
import { bridgeLog, bridgeUrl, type ErrorJson, makeEvent, post, testApp } from './support/harness.ts'

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
