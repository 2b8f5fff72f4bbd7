import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import zones from '../src/insights/time-zones.gen.json' with { type: 'json' }
import { MAX_BUCKETS, type TrendsResponse } from '../src/insights/trends.ts'
import { type ErrorJson, KEY_A, openTestEnv, type TestEnv } from './support.ts'

// Property-based hostile input against the real app over chdb: whatever a client sends, the
// answer is a 2xx or a 4xx with the error contract, within a deadline — never a 5xx, never a
// hang. Seeds are printed by fast-check on failure; rerun with `seed` to reproduce.
let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv()
})
afterAll(async () => {
  await env?.close()
})

const DEADLINE_MS = 5_000
const RUNS = Number(process.env.HOSTILE_RUNS ?? 150)

/** Instants anywhere from year 0 to 9999, in every textual form the API might see. */
const instantText = fc.oneof(
  fc
    .date({
      min: new Date('0000-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  fc
    .date({
      min: new Date('1960-01-01T00:00:00Z'),
      max: new Date('2110-01-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .chain((d) =>
      fc.constantFrom(
        d.toISOString(),
        d.toISOString().slice(0, 10),
        d.toISOString().replace('Z', '+14:00'),
        d.toISOString().replace('Z', ''),
      ),
    ),
  fc.constantFrom(
    '1969-12-31T12:00:00Z',
    '1970-01-01',
    '2106-02-01T00:00:00Z',
    '2105-12-31',
    '0000-00-00',
    'now',
    '-1',
  ),
  fc.string({ maxLength: 40 }),
)

const hostileText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.constantFrom(
    "x' OR 1=1 --",
    '{site:String}',
    '\u0000',
    '%00',
    '../../etc/passwd',
    '}}{{',
    'a'.repeat(5_000),
  ),
)

const timeZoneText = fc.oneof(
  fc.constantFrom(
    'UTC',
    'Pacific/Kiritimati',
    'Pacific/Pago_Pago',
    'Australia/Lord_Howe',
    'America/St_Johns',
    'Asia/Kathmandu',
  ),
  fc.constantFrom('utc', '+05:30', '-14:00', 'GMT+25', 'Etc/GMT-14', 'Factory', 'localtime', ''),
  hostileText,
)

const dimensionText = fc.oneof(
  fc.constantFrom('page', 'entry_page', 'channel', 'country', 'region', 'city', 'event', 'properties.plan'),
  hostileText.map((t) => `properties.${t}`),
  hostileText,
)

const values: Record<string, fc.Arbitrary<string>> = {
  from: instantText,
  to: instantText,
  interval: fc.oneof(fc.constantFrom('hour', 'day', 'week', 'month', 'minute', 'HOUR', ''), hostileText),
  tz: timeZoneText,
  event: hostileText,
  include_bots: fc.oneof(fc.constantFrom('true', 'false', '1', '0', 'yes'), hostileText),
  explain: fc.oneof(fc.constantFrom('true', '0', 'maybe'), hostileText),
  by: dimensionText,
  breakdown: dimensionText,
  breakdown_limit: fc.oneof(fc.constantFrom('1', '50', '51', '0', '-1', '1e9'), hostileText),
  // Structured fields travel as JSON text, as the GET routes take them.
  series: fc
    .array(
      fc.record(
        {
          math: fc.oneof(
            fc.constantFrom('events', 'persons', 'sessions', 'sum', 'p90', 'median', 'mode'),
            hostileText,
          ),
          event: fc.oneof(fc.constantFrom('pageview', 'signup'), hostileText),
          property: fc.oneof(fc.constantFrom('amount', 'a.b', ''), hostileText),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 12 },
    )
    .map((a) => JSON.stringify(a)),
  filters: fc
    .array(
      fc.record({
        dimension: dimensionText,
        op: fc.constantFrom('is', 'is_not', 'contains', 'not_contains', 'matches', 'gt', 'lte', 'like'),
        value: fc.oneof(
          hostileText,
          fc.constantFrom('(', '.*', '\\', '(?=x)', '(a)\\1', 'a{1000}{1000}', '[[:alpha:]]+', '(?i)^/B'),
          fc.double(),
        ),
      }),
      { maxLength: 4 },
    )
    .map((a) => JSON.stringify(a)),
}
const knownKey = fc.constantFrom(...Object.keys(values))
const param = fc.oneof(
  { weight: 5, arbitrary: knownKey.chain((key) => values[key]!.map((value) => [key, value] as const)) },
  { weight: 1, arbitrary: fc.tuple(hostileText, hostileText) },
)
const kind = fc.constantFrom('stats', 'trends', 'breakdown', 'rejected')

async function withinDeadline(request: () => Promise<Response>): Promise<Response> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${DEADLINE_MS} ms`)), DEADLINE_MS)
  })
  try {
    return await Promise.race([request(), deadline])
  } finally {
    clearTimeout(timer)
  }
}

async function expectBounded(res: Response, what: string): Promise<void> {
  expect(res.status, what).toBeGreaterThanOrEqual(200)
  expect(res.status, what).toBeLessThan(500)
  const body = (await res.json()) as ErrorJson & { buckets?: unknown[] }
  if (res.status >= 400) {
    expect(body.error.code, what).toMatch(/^[a-z_]+$/)
    expect(body.error.request_id, what).toBe(res.headers.get('x-request-id'))
  } else if (body.buckets !== undefined) {
    expect(body.buckets.length, what).toBeLessThanOrEqual(MAX_BUCKETS)
  }
}

describe('hostile input: never a 5xx, never a hang', () => {
  it('random query strings on every GET insight', async () => {
    await fc.assert(
      fc.asyncProperty(kind, fc.array(param, { maxLength: 8 }), async (k, params) => {
        const query = new URLSearchParams(params.map(([key, value]) => [key, value])).toString()
        const path = `/v1/sites/site_a/${k}?${query}`
        const res = await withinDeadline(async () =>
          env.app.request(path, { headers: { authorization: `Bearer ${KEY_A}` } }),
        )
        await expectBounded(res, path)
      }),
      { numRuns: RUNS },
    )
  })

  it('random JSON specs on POST /v1/sites/:site/query', async () => {
    const field = knownKey.chain((key) =>
      fc.oneof(values[key]!, fc.jsonValue({ maxDepth: 3 })).map((value) => [key, value] as const),
    )
    const spec = fc.oneof(
      fc.tuple(fc.oneof(kind, hostileText), fc.array(field, { maxLength: 7 })).map(([k, fields]) => ({
        kind: k,
        ...Object.fromEntries(fields),
      })),
      fc.jsonValue({ maxDepth: 4 }),
    )
    await fc.assert(
      fc.asyncProperty(spec, async (body) => {
        const text = JSON.stringify(body) ?? 'null'
        const res = await withinDeadline(async () =>
          env.app.request('/v1/sites/site_a/query', {
            method: 'POST',
            headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
            body: text,
          }),
        )
        await expectBounded(res, text.slice(0, 500))
      }),
      { numRuns: RUNS },
    )
  })

  it('random paths, methods and authorization headers', async () => {
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS')
    const auth = fc.oneof(
      fc.constant(`Bearer ${KEY_A}`),
      fc.string({ maxLength: 100 }).map((s) => `Bearer ${s}`),
      hostileText,
    )
    const site = fc.oneof(fc.constant('site_a'), hostileText.map(encodeURIComponent))
    await fc.assert(
      fc.asyncProperty(
        method,
        site,
        fc.oneof(kind, fc.constant('query'), hostileText.map(encodeURIComponent)),
        auth,
        fc.nat(),
        async (m, s, k, a, client) => {
          const path = `/v1/sites/${s}/${k}`
          const headers: Record<string, string> = { 'x-test-client': `fuzz-${client % 50}` }
          // Header values must be ByteStrings; the fetch API refuses others before the app sees them.
          if (/^[\x20-\x7e]*$/.test(a)) headers.authorization = a
          const res = await withinDeadline(async () =>
            env.app.request(path, {
              method: m,
              headers,
              ...(m === 'GET' || m === 'OPTIONS' ? {} : { body: '{}' }),
            }),
          )
          await expectBounded(res, `${m} ${path}`)
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('near-valid trends ranges in every zone: bounded, ordered buckets inside 1970–2106', async () => {
    const date = fc.date({
      min: new Date('1965-01-01T00:00:00Z'),
      max: new Date('2110-01-01T00:00:00Z'),
      noInvalidDate: true,
    })
    const span = fc.oneof(
      fc.integer({ min: 1, max: 72 * 3_600_000 }),
      fc.integer({ min: 1, max: 3_000 * 86_400_000 }),
    )
    const statuses: number[] = []
    await fc.assert(
      fc.asyncProperty(
        date,
        span,
        fc.constantFrom('hour', 'day', 'week', 'month'),
        fc.constantFrom(...zones),
        async (from, ms, interval, tz) => {
          const to = new Date(Math.min(from.getTime() + ms, 8.64e15))
          const query = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), interval, tz })
          const path = `/v1/sites/site_a/trends?${query}`
          const res = await withinDeadline(async () =>
            env.app.request(path, { headers: { authorization: `Bearer ${KEY_A}` } }),
          )
          statuses.push(res.status)
          if (res.status !== 200) return expectBounded(res, path)
          const buckets = ((await res.json()) as TrendsResponse).buckets!
          expect(buckets.length, path).toBeLessThanOrEqual(MAX_BUCKETS)
          const starts = buckets.map((b) => Date.parse(b.bucket))
          expect(
            starts.every((t, i) => i === 0 || t > starts[i - 1]!),
            path,
          ).toBe(true)
          expect(starts[0]! >= 0 && starts.at(-1)! < to.getTime(), path).toBe(true)
        },
      ),
      { numRuns: RUNS },
    )
    // Not vacuous: a good share of the specs really ran on the warehouse.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(RUNS / 5)
  })
})
