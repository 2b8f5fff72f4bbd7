import { describe, expect, it } from 'vitest'
import { LIMITS, parseJsonBody, validateBatch, validateEvent } from '../src/index.ts'

const enc = new TextEncoder()
const info = { siteId: 'site_a', receivedAt: '2026-11-25T12:00:00.000Z', ingestPath: 'native' as const }
const good = (over: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'signup',
  message_id: 'm-1',
  anonymous_id: 'anon-1',
  ...over,
})

describe('parseJsonBody', () => {
  it('parses valid JSON', () => {
    expect(parseJsonBody(enc.encode('{"a":1}'))).toEqual({ ok: true, value: { a: 1 } })
  })
  it('refuses malformed JSON, invalid UTF-8 and oversize bodies with distinct codes', () => {
    expect(parseJsonBody(enc.encode('{"a":'))).toMatchObject({ ok: false, code: 'invalid_json' })
    expect(parseJsonBody(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).toMatchObject({
      ok: false,
      code: 'invalid_json',
      message: 'body is not valid UTF-8',
    })
    const big = new Uint8Array(LIMITS.maxBodyBytes + 1).fill(0x20)
    expect(parseJsonBody(big)).toMatchObject({ ok: false, code: 'payload_too_large' })
  })
  it('turns parser stack exhaustion into invalid_json instead of throwing', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000)
    const out = parseJsonBody(enc.encode(deep), 1_000_000)
    // V8 either parses it or refuses it; it must never throw.
    expect(typeof out.ok).toBe('boolean')
  })
})

describe('validateEvent', () => {
  it('accepts a minimal track event', () => {
    expect(validateEvent(good()).ok).toBe(true)
  })
  it.each([
    ['no identity', { anonymous_id: undefined }, 'anonymous_id'],
    ['track without a name', { event: undefined }, 'event'],
    ['unknown type', { type: 'purchase' }, 'type'],
    ['bad timestamp', { timestamp: 'yesterday' }, 'timestamp'],
    ['event name too long', { event: 'x'.repeat(201) }, 'event'],
  ])('rejects %s', (_, over, field) => {
    const out = validateEvent(good(over))
    expect(out.ok).toBe(false)
    if (!out.ok) expect(out.message).toContain(field)
  })
  it('rejects prototype-pollution keys, deep nesting, long strings, non-finite numbers', () => {
    const polluted = JSON.parse(
      '{"type":"track","event":"e","message_id":"m","anonymous_id":"a","properties":{"__proto__":{"x":1}}}',
    )
    expect(validateEvent(polluted)).toMatchObject({
      ok: false,
      message: expect.stringContaining('__proto__'),
    })
    let deep: Record<string, unknown> = {}
    const root = deep
    for (let i = 0; i < LIMITS.maxDepth + 2; i++) {
      deep.n = {}
      deep = deep.n as Record<string, unknown>
    }
    expect(validateEvent(good({ properties: root }))).toMatchObject({
      ok: false,
      message: expect.stringContaining('nesting'),
    })
    expect(validateEvent(good({ properties: { s: 'x'.repeat(LIMITS.maxStringLength + 1) } }))).toMatchObject({
      ok: false,
    })
    expect(validateEvent(good({ properties: { n: Number.POSITIVE_INFINITY } }))).toMatchObject({ ok: false })
    expect(validateEvent(good({ properties: { s: '\ud800' } }))).toMatchObject({ ok: false })
  })
  it('rejects too many keys and oversize events', () => {
    const many = Object.fromEntries(
      Array.from({ length: LIMITS.maxPropertyKeys + 1 }, (_, i) => [`k${i}`, i]),
    )
    expect(validateEvent(good({ properties: many }))).toMatchObject({
      ok: false,
      message: expect.stringContaining('keys'),
    })
    const fat = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, 'y'.repeat(5000)]))
    expect(validateEvent(good({ properties: fat }))).toMatchObject({
      ok: false,
      message: expect.stringContaining('bytes'),
    })
  })
})

describe('validateBatch', () => {
  it('keeps good events and reports each bad one by index', () => {
    const body = {
      batch: [good({ message_id: 'a' }), { type: 'track' }, good({ message_id: 'c', type: 'page' })],
    }
    const out = validateBatch(body, info)
    expect(out.ok).toBe(true)
    if (!out.ok) return
    expect(out.value.accepted.map((e) => e.message_id)).toEqual(['a', 'c'])
    expect(out.value.accepted[1]?.event).toBe('$pageview')
    expect(out.value.rejected).toEqual([{ index: 1, code: 'invalid_event', message: expect.any(String) }])
  })
  it('refuses empty, non-array and oversize batches as a whole', () => {
    expect(validateBatch({ batch: [] }, info)).toMatchObject({ ok: false, code: 'empty_batch' })
    expect(validateBatch({ events: [] }, info)).toMatchObject({ ok: false, code: 'invalid_request' })
    expect(validateBatch([1, 2], info)).toMatchObject({ ok: false, code: 'invalid_request' })
    const tooMany = { batch: Array.from({ length: LIMITS.maxEventsPerBatch + 1 }, () => good()) }
    expect(validateBatch(tooMany, info)).toMatchObject({ ok: false, code: 'too_many_events' })
  })
  it('refuses a hostile batch context as sent, before it is copied', () => {
    const body = JSON.parse(`{"context":{"__proto__":{"x":1}},"batch":[${JSON.stringify(good())}]}`)
    expect(validateBatch(body, info)).toMatchObject({
      ok: false,
      code: 'invalid_request',
      message: expect.stringContaining('__proto__'),
    })
  })

  it('stamps site, received_at and the clock-corrected ts', () => {
    const body = {
      sent_at: '2026-11-25T12:10:00.000Z', // client clock is 10 minutes fast
      batch: [good({ timestamp: '2026-11-25T12:09:00.000Z' })],
    }
    const out = validateBatch(body, info)
    if (!out.ok) throw new Error('expected ok')
    const [event] = out.value.accepted
    expect(event).toMatchObject({ site_id: 'site_a', received_at: info.receivedAt, ingest_path: 'native' })
    expect(event?.ts).toBe('2026-11-25T11:59:00.000Z')
    expect(event?.clock_skewed).toBe(false)
  })
})
