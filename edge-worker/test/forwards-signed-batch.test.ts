import { describe, expect, it } from 'vitest'
import { TEST_SITE } from './support/constants.ts'
import { bridgeLog, makeEvent, post, testApp } from './support/harness.ts'

describe('forwards a signed, stamped batch to the bridge', () => {
  it('signs the body so the bridge verifies it, and stamps received_at, site and ingest path', async () => {
    const fixedNow = Date.now()
    const { app, namespace } = testApp(['ok'], { now: () => fixedNow, newId: () => 'batch-fixed-id' })
    const sentAt = new Date(fixedNow - 1_000).toISOString()
    const timestamp = new Date(fixedNow - 61_000).toISOString()
    const res = await post(app, '/v1/batch', { batch: [makeEvent({ timestamp })], sent_at: sentAt })
    expect(res.status).toBe(200)

    const [attempt] = await bridgeLog(namespace)
    expect(attempt?.verified).toBe(true)
    expect(attempt?.headers['x-sightline-batch-id']).toBe('batch-fixed-id')
    const receivedAt = new Date(fixedNow).toISOString()
    expect(attempt?.batch).toMatchObject({
      v: 1,
      batch_id: 'batch-fixed-id',
      site_id: TEST_SITE.site_id,
      received_at: receivedAt,
    })
    const event = attempt?.batch?.events[0]
    expect(event).toMatchObject({
      site_id: TEST_SITE.site_id,
      received_at: receivedAt,
      ingest_path: 'native',
      sent_at: sentAt,
      // The client's clock said the event was 60 s old when sent: that age is kept.
      ts: new Date(fixedNow - 60_000).toISOString(),
      clock_skewed: false,
    })
  })

  it('copies request.cf colo and country onto events when present', async () => {
    const { app, namespace } = testApp(['ok'])
    const res = await app.fetch(
      new Request('http://edge/v1/batch', {
        method: 'POST',
        headers: { authorization: 'Bearer wk_test_primary' },
        body: JSON.stringify({ batch: [makeEvent()] }),
        cf: { colo: 'AMS', country: 'NL', city: 'Amsterdam', latitude: '52.37' },
      } as RequestInit),
    )
    expect(res.status).toBe(200)
    const [attempt] = await bridgeLog(namespace)
    expect(attempt?.batch?.events[0]).toMatchObject({
      edge: { colo: 'AMS' },
      geo: { country: 'NL', city: 'Amsterdam', latitude: 52.37 },
    })
  })

  it('a bridge with a different key refuses the batch (the signature really is checked)', async () => {
    const { app, namespace } = testApp(['ok'], {
      signing: { keyId: 'test-1', secret: 'not-the-bridge-secret-000000000000' },
    })
    const res = await post(app, '/v1/batch', { batch: [makeEvent()] })
    expect(res.status).toBe(503)
    const [attempt] = await bridgeLog(namespace)
    expect(attempt?.verified).toBe(false)
  })
})
