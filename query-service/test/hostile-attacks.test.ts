import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import type { TrendsResponse } from '../src/insights/trends.ts'
import { type ErrorJson, get, KEY_A, keys, openTestEnv, post, type TestEnv } from './support.ts'

// Each test reproduces one finding of the hostile audit (issue 7) against the real app over
// chdb. Before the fix the first one never answered and grew the process by GBs; the
// deadline makes a regression fail instead of hanging the suite.
let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv()
})
afterAll(async () => {
  await env?.close()
})

const QUICK_MS = 2_000

async function refused(path: string, message: RegExp): Promise<void> {
  const started = performance.now()
  const res = await get(env.app, path, KEY_A)
  const ms = performance.now() - started
  const body = (await res.json()) as ErrorJson
  expect({ status: res.status, code: body.error.code }).toEqual({ status: 400, code: 'invalid_query' })
  expect(body.error.message).toMatch(message)
  expect(ms).toBeLessThan(QUICK_MS)
}

describe('hostile ranges and zones are refused before they run', () => {
  it('kiritimati 1969 day range answers 400 quickly', async () => {
    await refused(
      '/v1/sites/site_a/trends?from=1969-12-31T12:00:00Z&to=1969-12-31T13:00:00Z&interval=day&tz=Pacific/Kiritimati',
      /within 1970-01-01T00:00:00.000Z and 2106-01-01T00:00:00.000Z/,
    )
  })

  it('1969 weekly range answers 400 instead of 78,116 buckets', async () => {
    await refused('/v1/sites/site_a/trends?from=1969-12-30&to=1969-12-31&interval=week', /within 1970/)
  })

  it('1950 hourly range answers 400 instead of buckets labelled 2086', async () => {
    await refused(
      '/v1/sites/site_a/trends?from=1950-01-01T00:00:00Z&to=1950-01-01T12:00:00Z&interval=hour',
      /within 1970/,
    )
  })

  it('stats over 1950 answers 400 too', async () => {
    await refused('/v1/sites/site_a/stats?from=1950-01-01&to=1950-02-01', /within 1970/)
  })

  it('from=2106-02-01 answers 400 invalid_query, not 503', async () => {
    await refused('/v1/sites/site_a/stats?from=2106-02-01T00:00:00Z&to=2106-02-02T00:00:00Z', /within 1970/)
    await refused('/v1/sites/site_a/trends?from=2105-12-01&to=2106-01-02', /within 1970/)
  })

  it('tz=utc answers 400 invalid_query, not 503', async () => {
    await refused('/v1/sites/site_a/trends?tz=utc', /tz: expected an IANA time zone/)
  })

  it('tz=+05:30 answers 400 invalid_query, not 503', async () => {
    await refused(
      `/v1/sites/site_a/trends?tz=${encodeURIComponent('+05:30')}`,
      /tz: expected an IANA time zone/,
    )
  })

  it('a month bucket that would start before 1970 answers 400', async () => {
    await refused(
      '/v1/sites/site_a/trends?from=1970-01-15&to=1970-03-01&interval=month&tz=Pacific/Kiritimati',
      /interval=month, `from` must be 1970-02-02T00:00:00.000Z or later/,
    )
  })

  it('the earliest allowed ranges answer with buckets that start in 1970, in the +14 h zone too', async () => {
    const earliest = {
      hour: '1970-01-01T02:00:00Z',
      day: '1970-01-03',
      week: '1970-01-09',
      month: '1970-02-02',
    }
    for (const [interval, from] of Object.entries(earliest)) {
      const res = await get(
        env.app,
        `/v1/sites/site_a/trends?from=${from}&to=1970-03-01&interval=${interval}&tz=Pacific/Kiritimati`,
        KEY_A,
      )
      expect(res.status, interval).toBe(200)
      const buckets = ((await res.json()) as TrendsResponse).buckets!
      expect(buckets.length, interval).toBeGreaterThan(0)
      for (const { bucket } of buckets) expect(bucket.startsWith('1970-'), `${interval} ${bucket}`).toBe(true)
    }
  })

  it('the query endpoint refuses the same specs', async () => {
    const res = await post(env.app, '/v1/sites/site_a/query', KEY_A, {
      kind: 'trends',
      from: '1969-12-31T12:00:00Z',
      to: '1969-12-31T13:00:00Z',
      interval: 'day',
      tz: 'Pacific/Kiritimati',
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as ErrorJson).error.code).toBe('invalid_query')
  })
})

describe('numbers past 2^53 in a comparison are bound, not refused', () => {
  // Found by the hostile cohorts property: every double that large is an integer the database
  // driver refuses to bind as a number (it could have lost bits), and the service answered 503.
  const values = [2 ** 53, 1e21, -Number.MAX_VALUE]
  const comparisons = (value: number): Array<[string, Record<string, unknown>]> => [
    [
      'a filter',
      { kind: 'breakdown', by: 'page', filters: [{ dimension: 'properties.n', op: 'gt', value }] },
    ],
    [
      'a goal’s filter',
      {
        kind: 'funnel',
        steps: [
          { event: 'pageview', filters: [{ dimension: 'properties.n', op: 'lte', value }] },
          { event: 'signup' },
        ],
      },
    ],
    ['a property cohort', { kind: 'stats', cohort: { has: { property: 'seats', op: 'lt', value } } }],
  ]
  for (const value of values) {
    for (const [where, spec] of comparisons(value)) {
      it(`${value} in ${where} answers 200`, async () => {
        const res = await post(env.app, '/v1/sites/site_a/query', KEY_A, {
          from: '2024-01-01T00:00:00Z',
          to: '2024-01-04T00:00:00Z',
          ...spec,
        })
        expect(res.status, await res.clone().text()).toBe(200)
      })
    }
  }
})

describe('guessing read keys', () => {
  it('1,000 wrong-key guesses from one address: the first 20 get 401, the rest 429 with Retry-After', async () => {
    const statuses = new Map<number, number>()
    let retryAfter: string | null = null
    for (let i = 0; i < 1_000; i++) {
      const res = await env.app.request('/v1/sites/site_a/stats', {
        headers: {
          authorization: `Bearer rk_guess_${i.toString().padStart(16, '0')}`,
          'x-test-client': 'attacker',
        },
      })
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after')
        expect(((await res.json()) as ErrorJson).error.code).toBe('rate_limited')
      }
    }
    expect(Object.fromEntries(statuses)).toEqual({ 401: 20, 429: 980 })
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)
  })

  it('a throttled address stays throttled even with a valid key; other addresses are unaffected', async () => {
    const as = (client: string, key: string) =>
      env.app.request('/v1/sites/site_a/stats', {
        headers: { authorization: `Bearer ${key}`, 'x-test-client': client },
      })
    expect((await as('attacker', KEY_A)).status).toBe(429)
    expect((await as('someone-else', KEY_A)).status).toBe(200)
    expect((await as('someone-else', 'rk_wrong_but_first_000')).status).toBe(401)
  })

  it('over a real socket the budget is keyed by the peer address', async () => {
    // The default address source, as `npm start` and main.ts run it: no test header involved.
    const app = createApp({ warehouse: env.warehouse, keys, clock: () => new Date() })
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    const { port } = server.address() as AddressInfo
    try {
      const statuses: number[] = []
      for (let i = 0; i < 21; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/v1/sites/site_a/stats`, {
          headers: { authorization: 'Bearer rk_wrong_wrong_wrong_0' },
        })
        await res.body?.cancel()
        statuses.push(res.status)
      }
      expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true)
      expect(statuses[20]).toBe(429)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
