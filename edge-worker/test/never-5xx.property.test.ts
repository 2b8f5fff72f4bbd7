import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { makeEvent, post, testApp } from './support/harness.ts'

const encoder = new TextEncoder()

/** Bodies a hostile or broken client might send: junk bytes, odd JSON, near-valid batches. */
const hostileBody = fc.oneof(
  fc.uint8Array({ maxLength: 2_000 }),
  fc.string({ unit: 'binary', maxLength: 500 }).map((s) => encoder.encode(s)),
  fc.jsonValue({ maxDepth: 12 }).map((v) => encoder.encode(JSON.stringify(v))),
  fc
    .array(fc.jsonValue({ maxDepth: 6 }), { maxLength: 20 })
    .map((batch) => encoder.encode(JSON.stringify({ batch }))),
  fc
    .array(
      fc.record({
        type: fc.oneof(fc.constantFrom('track', 'page', 'identify', 'alias', 'group', 'screen'), fc.string()),
        event: fc.option(fc.string({ maxLength: 300 })),
        message_id: fc.option(fc.string()),
        anonymous_id: fc.option(fc.string()),
        timestamp: fc.option(
          fc.oneof(
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            fc.string(),
          ),
        ),
        properties: fc.option(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 10 }))),
      }),
      { maxLength: 10 },
    )
    .map((batch) => encoder.encode(JSON.stringify({ batch, sent_at: 'yesterday' }))),
  fc.constant(encoder.encode(JSON.stringify({ batch: [makeEvent()] }))),
)

describe('property: hostile bodies never produce a 5xx', () => {
  it('POST /v1/batch answers < 500 for anything', async () => {
    const { app } = testApp(['ok'])
    await fc.assert(
      fc.asyncProperty(hostileBody, fc.boolean(), async (body, asTrack) => {
        const res = await post(app, asTrack ? '/v1/track' : '/v1/batch', body)
        await res.arrayBuffer()
        expect(res.status).toBeLessThan(500)
      }),
      { numRuns: 1_000 },
    )
  })
})
