import fc from 'fast-check'
import { makeEvent, WRITE_KEY } from './harness.ts'

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

/** Near-valid native events: right field names, wrong or extreme values. */
const nativeEvent = fc.record({
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
})

/** Structures built to break parsers: very deep nesting, many keys, long strings, lone surrogates. */
const pathological = fc.oneof(
  fc.integer({ min: 1, max: 5_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc
    .integer({ min: 1, max: 3_000 })
    .map((n) => JSON.stringify({ batch: [makeEvent({ properties: deep(n) })] })),
  fc.integer({ min: 1, max: 3_000 }).map((n) =>
    JSON.stringify({
      batch: [
        makeEvent({ properties: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])) }),
      ],
    }),
  ),
  fc.constantFrom(
    '\ud800',
    '\udfff',
    'NaN',
    'Infinity',
    '1e999',
    '-0',
    '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{}}}',
  ),
  fc.string({ unit: 'binary', maxLength: 500 }),
)

function deep(n: number): Record<string, unknown> {
  let value: Record<string, unknown> = {}
  for (let i = 0; i < n; i++) value = { n: value }
  return value
}

/** Anything a broken or hostile client might send as a body. */
export const hostileBody: fc.Arbitrary<Uint8Array> = fc
  .oneof(
    fc.uint8Array({ maxLength: 2_000 }),
    fc.jsonValue({ maxDepth: 12 }).map((v) => JSON.stringify(v)),
    fc.array(fc.jsonValue({ maxDepth: 6 }), { maxLength: 20 }).map((batch) => JSON.stringify({ batch })),
    fc
      .array(nativeEvent, { maxLength: 10 })
      .map((batch) => JSON.stringify({ batch, sent_at: 'yesterday', write_key: WRITE_KEY })),
    fc
      .array(foreignEvent, { maxLength: 10 })
      .map((batch) => JSON.stringify({ batch, sentAt: 'x', api_key: WRITE_KEY, writeKey: WRITE_KEY })),
    fc.array(foreignEvent, { maxLength: 10 }).map((batch) => JSON.stringify(batch)),
    foreignEvent.map((e) => JSON.stringify({ ...e, api_key: WRITE_KEY, write_key: WRITE_KEY })),
    fc.string({ maxLength: 500 }).map((s) => `data=${s}`),
    fc.string({ maxLength: 500 }).map((s) => btoa(String.fromCharCode(...encoder.encode(s)))),
    pathological,
    fc.constant(JSON.stringify({ batch: [makeEvent()] })),
  )
  .map((body) => (typeof body === 'string' ? encoder.encode(body) : body))

/** Header sets that pull the edge's decoders in every direction. */
export const hostileHeaders = fc.record({
  contentType: fc.constantFrom(
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    '',
    'multipart/form-data; boundary=x',
  ),
  encoding: fc.constantFrom(undefined, 'gzip', 'x-gzip', 'br', 'gzip, gzip', 'identity'),
  auth: fc.constantFrom('basic', 'bearer', 'header', 'none', 'garbage'),
  origin: fc.constantFrom(undefined, 'https://example.com', 'null', 'x'),
})

export const hostileQuery = fc.dictionary(
  fc.oneof(
    fc.constantFrom('k', 'e', 'u', 'r', 'ti', 'a', 'uid', 'm', 'compression', 'token', 'api_key', 'ver'),
    fc.string(),
  ),
  fc.string({ unit: 'binary', maxLength: 300 }),
)

/** Header abuse: spoofed client IPs, fake SDK identities, hostile request ids and keys. */
export const abusiveHeaders: fc.Arbitrary<Record<string, string>> = fc
  .record(
    {
      'cf-connecting-ip': fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 80 })),
      'x-forwarded-for': fc
        .array(fc.oneof(fc.ipV4(), fc.string({ maxLength: 40 })), { maxLength: 30 })
        .map((a) => a.join(', ')),
      'x-real-ip': fc.oneof(fc.ipV4(), fc.string({ maxLength: 60 })),
      'x-sightline-proxy-secret': fc.string({ maxLength: 80 }),
      'cf-ray': fc.oneof(fc.string({ maxLength: 200 }), fc.constant('<script>alert(1)</script>')),
      'user-agent': fc.oneof(
        fc.constantFrom(
          'posthog-node/4.0 python-requests HeadlessChrome',
          'analytics-node/1.0',
          '@segment/analytics-node',
          'curl/8.5.0',
          'Mozilla/5.0 (compatible; Googlebot/2.1)',
        ),
        fc.string({ maxLength: 600 }),
      ),
      'x-write-key': fc.oneof(
        fc.constant(WRITE_KEY),
        fc.integer({ min: 400, max: 5_000 }).map((n) => 'k'.repeat(n)),
        fc.string({ maxLength: 300 }),
      ),
      'sec-ch-ua': fc.string({ maxLength: 300 }),
      'accept-language': fc.string({ maxLength: 100 }),
    },
    { requiredKeys: [] },
  )
  .map((headers) =>
    // Header values cannot hold CR, LF or NUL (the runtime refuses them before we see them).
    Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace(/[\r\n\0]/g, ' ').trim()])),
  )

/** Events whose context claims a server SDK and carries someone else's UA and IP. */
export const fakeSdkEvent = fc
  .record({
    library: fc.constantFrom(
      'analytics-node',
      '@segment/analytics-node',
      'posthog-node',
      'sightline-node',
      'x',
    ),
    userAgent: fc.oneof(fc.constant('HeadlessChrome'), fc.string({ maxLength: 100 })),
    ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 50 })),
  })
  .map(({ library, userAgent, ip }) => makeEvent({ context: { library: { name: library }, userAgent, ip } }))
