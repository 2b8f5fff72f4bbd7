import { LIMITS } from '@sightline/contracts'
import { describe, expect, it } from 'vitest'
import { bridgeLog, type ErrorJson, gzip, makeEvent, post, testApp } from './support/harness.ts'

async function expectError(res: Response, status: number, code: string): Promise<ErrorJson> {
  expect(res.status).toBe(status)
  const body = (await res.json()) as ErrorJson
  expect(body.error.code).toBe(code)
  expect(body.error.docs).toMatch(new RegExp(`errors\\.md#${code}$`))
  expect(body.error.request_id).toBeTruthy()
  return body
}

describe('rejects bad requests with the error contract', () => {
  it('missing write key → 401 missing_write_key', async () => {
    const { app } = testApp()
    await expectError(
      await post(app, '/v1/batch', { batch: [makeEvent()] }, { authorization: '' }),
      401,
      'missing_write_key',
    )
  })

  it('unknown write key → 401 unknown_write_key, nothing forwarded', async () => {
    const { app, namespace } = testApp()
    const res = await post(app, '/v1/batch', { batch: [makeEvent()] }, { authorization: 'Bearer wk_nope' })
    await expectError(res, 401, 'unknown_write_key')
    expect(await bridgeLog(namespace)).toEqual([])
  })

  it('malformed JSON → 400 invalid_json', async () => {
    const { app } = testApp()
    await expectError(await post(app, '/v1/batch', '{"batch": [}'), 400, 'invalid_json')
  })

  it('invalid UTF-8 → 400 invalid_json', async () => {
    const { app } = testApp()
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('{"batch":["'),
      0xff,
      0xfe,
      ...new TextEncoder().encode('"]}'),
    ])
    await expectError(await post(app, '/v1/batch', bytes), 400, 'invalid_json')
  })

  it('body over 500 KB → 413 payload_too_large', async () => {
    const { app } = testApp()
    const big = JSON.stringify({
      batch: [makeEvent({ properties: { pad: 'x'.repeat(LIMITS.maxBodyBytes) } })],
    })
    await expectError(await post(app, '/v1/batch', big), 413, 'payload_too_large')
  })

  it('body over 500 KB without a Content-Length (streamed) → 413', async () => {
    const { app } = testApp()
    const chunk = new Uint8Array(64 * 1024).fill(0x20)
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 2 * LIMITS.maxBodyBytes) return controller.close()
        sent += chunk.byteLength
        controller.enqueue(chunk)
      },
    })
    await expectError(await post(app, '/v1/batch', stream), 413, 'payload_too_large')
  })

  it('gzip bomb (20 MB of zeros, tiny compressed) → 413 quickly', async () => {
    const { app } = testApp()
    const bomb = await gzip(new Uint8Array(20 * 1024 * 1024))
    expect(bomb.byteLength).toBeLessThan(100 * 1024)
    const started = Date.now()
    await expectError(
      await post(app, '/v1/batch', bomb, { 'content-encoding': 'gzip' }),
      413,
      'payload_too_large',
    )
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it('compressed body itself over the cap (incompressible, streamed) → 413', async () => {
    const { app } = testApp()
    const noise = new Uint8Array(LIMITS.maxBodyBytes + 64 * 1024)
    for (let i = 0; i < noise.length; i += 65_536) crypto.getRandomValues(noise.subarray(i, i + 65_536))
    const compressed = await gzip(noise)
    const stream = new Blob([compressed]).stream()
    await expectError(
      await post(app, '/v1/batch', stream, { 'content-encoding': 'gzip' }),
      413,
      'payload_too_large',
    )
  })

  it('corrupt gzip → 400 invalid_request', async () => {
    const { app } = testApp()
    const res = await post(app, '/v1/batch', new Uint8Array([0x1f, 0x8b, 1, 2, 3, 4]), {
      'content-encoding': 'gzip',
    })
    await expectError(res, 400, 'invalid_request')
  })

  it('unsupported Content-Encoding → 415', async () => {
    const { app } = testApp()
    await expectError(
      await post(app, '/v1/batch', '{}', { 'content-encoding': 'br' }),
      415,
      'unsupported_media_type',
    )
  })

  it('more than 500 events → 413 too_many_events', async () => {
    const { app } = testApp()
    const batch = Array.from({ length: LIMITS.maxEventsPerBatch + 1 }, () => ({ type: 'track' }))
    await expectError(await post(app, '/v1/batch', { batch }), 413, 'too_many_events')
  })

  it('empty batch → 400 empty_batch; wrong envelope → 400 invalid_request', async () => {
    const { app } = testApp()
    await expectError(await post(app, '/v1/batch', { batch: [] }), 400, 'empty_batch')
    await expectError(await post(app, '/v1/batch', [makeEvent()]), 400, 'invalid_request')
  })

  it('hostile batch context → 400 invalid_request', async () => {
    const { app } = testApp()
    const context = JSON.parse('{"__proto__": {"polluted": true}}')
    await expectError(await post(app, '/v1/batch', { batch: [makeEvent()], context }), 400, 'invalid_request')
  })

  it('unknown route → 404 not_found; GET on an ingest route → 405', async () => {
    const { app } = testApp()
    await expectError(await app.request('/v1/nope'), 404, 'not_found')
    const res = await app.request('/v1/batch')
    await expectError(res, 405, 'method_not_allowed')
    expect(res.headers.get('allow')).toBe('POST')
  })
})
