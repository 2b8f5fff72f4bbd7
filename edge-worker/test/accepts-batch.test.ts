import { describe, expect, it } from 'vitest'
import { bridgeLog, gzip, makeEvent, post, testApp } from './support/harness.ts'

describe('accepts a valid batch', () => {
  it('answers 200 with the accepted count only after the bridge stored it', async () => {
    const { app, namespace } = testApp(['ok'])
    const res = await post(app, '/v1/batch', { batch: [makeEvent(), makeEvent()] }, { 'cf-ray': 'ray-123' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, accepted: 2, rejected: [], request_id: 'ray-123' })
    expect(res.headers.get('x-request-id')).toBe('ray-123')
    const log = await bridgeLog(namespace)
    expect(log).toHaveLength(1)
    expect(log[0]?.batch?.events).toHaveLength(2)
  })

  it('accepts the write key as Basic auth user, Bearer token or X-Write-Key', async () => {
    const { app } = testApp(['ok'])
    const body = { batch: [makeEvent()] }
    const basic = await post(app, '/v1/batch', body, { authorization: `Basic ${btoa('wk_test_primary:')}` })
    const header = await post(app, '/v1/batch', body, { authorization: '', 'x-write-key': 'wk_test_second' })
    const bearer = await post(app, '/v1/batch', body, { authorization: 'Bearer wk_test_primary' })
    expect([basic.status, header.status, bearer.status]).toEqual([200, 200, 200])
  })

  it('accepts a gzip body', async () => {
    const { app, namespace } = testApp(['ok'])
    const raw = new TextEncoder().encode(JSON.stringify({ batch: [makeEvent({ event: 'Zipped' })] }))
    const res = await post(app, '/v1/batch', await gzip(raw), { 'content-encoding': 'gzip' })
    expect(res.status).toBe(200)
    const [attempt] = await bridgeLog(namespace)
    expect(attempt?.batch?.events[0]?.event).toBe('Zipped')
  })

  it('accepts a single event on /v1/track, type defaulting to track', async () => {
    const { app, namespace } = testApp(['ok'])
    const { type: _omitted, ...event } = makeEvent({ event: 'Clicked' })
    const res = await post(app, '/v1/track', event)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ ok: true, accepted: 1, rejected: [] })
    const [attempt] = await bridgeLog(namespace)
    expect(attempt?.batch?.events[0]).toMatchObject({ type: 'track', event: 'Clicked' })
  })

  it('goes through the Worker entry with config parsed from bindings', async () => {
    const { exports } = await import('cloudflare:workers')
    const res = await exports.default.fetch('http://edge/v1/batch', {
      method: 'POST',
      headers: { 'x-write-key': 'wk_test_primary', 'content-type': 'application/json' },
      body: JSON.stringify({ batch: [makeEvent({ event: 'Via Entry' })] }),
    })
    expect(res.status).toBe(200)
    const log = await bridgeLog('worker-entry')
    expect(log.some((a) => a.verified && a.batch?.events[0]?.event === 'Via Entry')).toBe(true)
  })
})
