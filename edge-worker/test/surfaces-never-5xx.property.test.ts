import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { gzip, testApp, WRITE_KEY } from './support/harness.ts'

const encoder = new TextEncoder()

/** Foreign-dialect shapes: Segment and PostHog field names with hostile values. */
const foreignEvent = fc.record(
  {
    type: fc.oneof(fc.constantFrom('track', 'page', 'identify', 'alias', 'group', 'screen'), fc.string()),
    event: fc.oneof(
      fc.constantFrom('$pageview', '$identify', '$create_alias', '$groupidentify', '$screen'),
      fc.string(),
    ),
    messageId: fc.jsonValue({ maxDepth: 2 }),
    userId: fc.oneof(fc.string(), fc.integer(), fc.jsonValue({ maxDepth: 2 })),
    distinct_id: fc.oneof(fc.string(), fc.double(), fc.jsonValue({ maxDepth: 2 })),
    uuid: fc.jsonValue({ maxDepth: 2 }),
    timestamp: fc.oneof(
      fc.string(),
      fc.double(),
      fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString())),
    ),
    offset: fc.oneof(fc.double(), fc.string()),
    properties: fc.oneof(
      fc.jsonValue({ maxDepth: 10 }),
      fc.dictionary(
        fc.constantFrom(
          '$set',
          '$device_id',
          '$current_url',
          '$screen_width',
          'alias',
          '$group_set',
          '__proto__',
          'token',
        ),
        fc.jsonValue({ maxDepth: 4 }),
      ),
    ),
    context: fc.jsonValue({ maxDepth: 10 }),
  },
  { requiredKeys: [] },
)

const hostileBody = fc.oneof(
  fc.uint8Array({ maxLength: 2_000 }),
  fc.jsonValue({ maxDepth: 12 }).map((v) => JSON.stringify(v)),
  fc
    .array(foreignEvent, { maxLength: 10 })
    .map((batch) => JSON.stringify({ batch, sentAt: 'x', api_key: WRITE_KEY, writeKey: WRITE_KEY })),
  fc.array(foreignEvent, { maxLength: 10 }).map((batch) => JSON.stringify(batch)),
  foreignEvent.map((e) => JSON.stringify({ ...e, api_key: WRITE_KEY, write_key: WRITE_KEY })),
  fc.string({ maxLength: 500 }).map((s) => `data=${s}`),
  fc.string({ maxLength: 500 }).map((s) => btoa(String.fromCharCode(...encoder.encode(s)))),
)

const PATHS = ['/v1/batch', '/v1/track', '/v1/page', '/v1/identify', '/v1/b', '/e/', '/batch/', '/i/v0/e']

describe('property: hostile bodies on every compatibility surface never produce a 5xx', () => {
  it('POST answers < 500 for anything, plain or gzip', async () => {
    const { app } = testApp(['ok'])
    await fc.assert(
      fc.asyncProperty(hostileBody, fc.constantFrom(...PATHS), fc.boolean(), async (body, path, zipped) => {
        const bytes = typeof body === 'string' ? encoder.encode(body) : body
        const res = await app.request(`${path}?k=${WRITE_KEY}`, {
          method: 'POST',
          headers: {
            'content-type': 'text/plain',
            authorization: `Basic ${btoa(`${WRITE_KEY}:`)}`,
            ...(zipped ? { 'content-encoding': 'gzip' } : {}),
          },
          body: zipped ? await gzip(bytes) : bytes,
        })
        await res.arrayBuffer()
        expect(res.status, `${path} ${String(body).slice(0, 200)}`).toBeLessThan(500)
      }),
      { numRuns: 1_000 },
    )
  })

  it('GET /v1/p.gif answers < 500 for any query string', async () => {
    const { app } = testApp(['ok'])
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string(), fc.string({ unit: 'binary' })), async (params) => {
        const query = new URLSearchParams({ ...params, k: WRITE_KEY })
        const res = await app.request(`/v1/p.gif?${query}`)
        await res.arrayBuffer()
        expect(res.status).toBeLessThan(500)
      }),
      { numRuns: 500 },
    )
  })
})
