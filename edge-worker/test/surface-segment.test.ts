import { describe, expect, it } from 'vitest'
import { bridgeLog, type ErrorJson, makeEvent, post, testApp, WRITE_KEY } from './support/harness.ts'

const basic = { authorization: `Basic ${btoa(`${WRITE_KEY}:`)}` }

/** A batch as @segment/analytics-node sends it (see its publisher.js). */
function segmentBatch() {
  const sentAt = new Date().toISOString()
  return {
    batch: [
      {
        type: 'track',
        event: 'Order Completed',
        messageId: `node-next-${crypto.randomUUID()}`,
        userId: 'user-42',
        anonymousId: 'anon-42',
        timestamp: sentAt,
        properties: { revenue: 12.5 },
        context: {
          library: { name: '@segment/analytics-node', version: '3.1.0' },
          page: { url: 'https://shop.example/cart?utm_source=news' },
          campaign: { source: 'news', medium: 'email' },
        },
        integrations: { All: true },
        _metadata: { nodeVersion: '24', jsRuntime: 'node' },
      },
      { type: 'page', name: 'Home', category: 'Docs', messageId: 'seg-page-1', anonymousId: 'anon-42' },
      { type: 'identify', userId: 'user-42', messageId: 'seg-id-1', traits: { email: 'a@b.example' } },
      { type: 'alias', userId: 'user-42', previousId: 'anon-42', messageId: 'seg-alias-1' },
      { type: 'group', userId: 'user-42', groupId: 'org-7', traits: { plan: 'pro' }, messageId: 'seg-grp-1' },
    ],
    writeKey: WRITE_KEY,
    sentAt,
  }
}

describe('Segment HTTP Tracking API', () => {
  it('maps a Segment batch on /v1/batch and answers {success: true}', async () => {
    const { app, namespace } = testApp(['ok'])
    const res = await post(app, '/v1/batch', segmentBatch(), basic)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ success: true, accepted: 5, rejected: [] })
    const [attempt] = await bridgeLog(namespace)
    expect(attempt?.batch?.ingest_path).toBe('segment')
    const [track, page, identify, alias, group] = attempt!.batch!.events
    expect(track).toMatchObject({
      type: 'track',
      event: 'Order Completed',
      user_id: 'user-42',
      anonymous_id: 'anon-42',
      ingest_path: 'segment',
      properties: { revenue: 12.5 },
      context: {
        campaign: { source: 'news', medium: 'email' },
        library: { name: '@segment/analytics-node' },
      },
    })
    expect(track?.message_id).toMatch(/^node-next-/)
    expect(track?.sent_at).toBeDefined()
    expect(track?.context).not.toHaveProperty('integrations')
    expect(page).toMatchObject({
      type: 'page',
      event: '$pageview',
      message_id: 'seg-page-1',
      properties: { name: 'Home', category: 'Docs' },
    })
    expect(identify).toMatchObject({ type: 'identify', user_id: 'user-42', traits: { email: 'a@b.example' } })
    expect(alias).toMatchObject({ type: 'alias', user_id: 'user-42', previous_id: 'anon-42' })
    expect(group).toMatchObject({ type: 'group', group_id: 'org-7', traits: { plan: 'pro' } })
  })

  it('still reads a native batch on /v1/batch as native', async () => {
    const { app, namespace } = testApp(['ok'])
    const res = await post(app, '/v1/batch', { batch: [makeEvent()] })
    expect(await res.json()).toMatchObject({ ok: true, accepted: 1 })
    const [attempt] = await bridgeLog(namespace)
    expect(attempt?.batch?.ingest_path).toBe('native')
    expect(attempt?.batch?.events[0]?.ingest_path).toBe('native')
  })

  it('takes the write key from the body when no header carries it', async () => {
    const { app } = testApp(['ok'])
    const res = await post(app, '/v1/batch', segmentBatch(), { authorization: '' })
    expect(res.status).toBe(200)
    const wrong = await post(app, '/v1/batch', { ...segmentBatch(), writeKey: 'nope' }, { authorization: '' })
    expect(wrong.status).toBe(401)
    expect(((await wrong.json()) as ErrorJson).error.code).toBe('unknown_write_key')
  })

  it('serves every single-event path with the type the path names', async () => {
    const { app, namespace } = testApp(['ok'])
    const paths = ['track', 'page', 'identify', 'alias', 'group', 'screen'] as const
    for (const type of paths) {
      const body = {
        event: 'Clicked',
        name: 'Shown',
        userId: 'u-1',
        previousId: 'p-1',
        groupId: 'g-1',
        messageId: `single-${type}`,
        originalTimestamp: '2026-01-01T00:00:00',
      }
      const res = await post(app, `/v1/${type}`, body, basic)
      expect(res.status, type).toBe(200)
      expect(await res.json()).toMatchObject({ success: true, accepted: 1 })
    }
    const types = (await bridgeLog(namespace)).map((a) => a.batch?.events[0]?.type)
    expect(types).toEqual([...paths])
    const [track] = await bridgeLog(namespace)
    // An offset-less client time is read as UTC and normalised.
    expect(track?.batch?.events[0]?.timestamp).toBe('2026-01-01T00:00:00.000Z')
  })

  it('generates a message id when Segment events come without one', async () => {
    const { app, namespace } = testApp(['ok'])
    const res = await post(app, '/v1/track', { event: 'No Id', userId: 'u-1' }, basic)
    expect(res.status).toBe(200)
    const [attempt] = await bridgeLog(namespace)
    expect(attempt?.batch?.events[0]?.message_id).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('rejects a bad Segment event alone and keeps the rest', async () => {
    const { app, namespace } = testApp(['ok'])
    const body = segmentBatch()
    body.batch[1] = { type: 'page', messageId: 'no-ids' } as (typeof body.batch)[number]
    const res = await post(app, '/v1/batch', body, basic)
    expect(res.status).toBe(200)
    const json = (await res.json()) as { rejected: Array<{ index: number; code: string }> }
    expect(json.rejected).toEqual([expect.objectContaining({ index: 1, code: 'invalid_event' })])
    const [attempt] = await bridgeLog(namespace)
    expect(attempt?.batch?.events).toHaveLength(4)
    expect(attempt?.batch?.rejected?.[0]).toMatchObject({ index: 1, message_id: 'no-ids' })
  })

  it('answers bad Segment input with the error contract', async () => {
    const { app } = testApp(['ok'])
    const cases: Array<[string, string, number, string]> = [
      ['/v1/batch', `{"batch":[],"writeKey":"${WRITE_KEY}"}`, 400, 'empty_batch'],
      ['/v1/batch', '{"batch":"x","sentAt":"now"}', 400, 'invalid_request'],
      [
        '/v1/batch',
        '{"batch":[{"type":"track","event":"x","userId":"u"}],"sentAt":"nope"}',
        400,
        'invalid_request',
      ],
      ['/v1/page', '[1,2]', 400, 'invalid_request'],
      ['/v1/identify', '{"traits":{"a":1},"messageId":"m"}', 400, 'invalid_event'],
      ['/v1/track', '{"userId":"u","event":"e","properties":{"__proto__":{"x":1}}}', 400, 'invalid_event'],
      ['/v1/track', '{"userId":"u","event":"e",', 400, 'invalid_json'],
    ]
    for (const [path, text, status, code] of cases) {
      const res = await post(app, path, text, basic)
      expect(res.status, `${path} ${text}`).toBe(status)
      expect(((await res.json()) as ErrorJson).error.code, `${path} ${text}`).toBe(code)
    }
  })
})
