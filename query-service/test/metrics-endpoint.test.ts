import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type QueryMetrics, queryMetrics } from '../src/http/request-metrics.ts'
import { FIXTURE_FROM, FIXTURE_TO } from './fixture.ts'
import { get, KEY_A, openTestEnv, type TestEnv } from './support.ts'

const TOKEN = 'metrics-token-for-this-test-only'
const range = `from=${FIXTURE_FROM}&to=${FIXTURE_TO}`

/** The value of one sample line, e.g. `name{a="b"} 3`, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

function scrape(env: TestEnv, token = TOKEN) {
  return env.app.request('/metrics', { headers: { authorization: `Bearer ${token}` } })
}

describe('GET /metrics on the query service', () => {
  let env: TestEnv
  let metrics: QueryMetrics
  let connections = 0
  beforeAll(async () => {
    metrics = queryMetrics()
    metrics.gauge('sightline_test_connections', 'connections the test reports', () => connections)
    env = await openTestEnv({ app: { metrics, metricsToken: TOKEN } })
  })
  afterAll(async () => {
    await env?.close()
  })

  it('is a 404 without the bearer token, indistinguishable from a missing route', async () => {
    for (const res of [await env.app.request('/metrics'), await scrape(env, 'wrong-token-of-some-length')]) {
      expect(res.status).toBe(404)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found')
    }
  })

  it('counts requests by route pattern and status, never by site or path', async () => {
    const before = await (await scrape(env)).text()
    const okSeries =
      'sightline_query_http_requests_total{route="/v1/sites/:site/stats",method="GET",status="200"}'
    const deniedSeries =
      'sightline_query_http_requests_total{route="/v1/sites/:site/stats",method="GET",status="401"}'
    const okBefore = sample(before, okSeries) ?? 0
    const deniedBefore = sample(before, deniedSeries) ?? 0

    expect((await get(env.app, `/v1/sites/site_a/stats?${range}`, KEY_A)).status).toBe(200)
    expect((await get(env.app, `/v1/sites/site_a/stats?${range}`, KEY_A)).status).toBe(200)
    expect((await get(env.app, `/v1/sites/site_a/stats?${range}`)).status).toBe(401)
    expect((await get(env.app, '/no/such/route')).status).toBe(404)

    const res = await scrape(env)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await res.text()
    expect(sample(text, okSeries)).toBe(okBefore + 2)
    expect(sample(text, deniedSeries)).toBe(deniedBefore + 1)
    expect(text).not.toContain('site_a')
    expect(text).not.toContain('/no/such/route')
    // Latency: every answered stats request is in the histogram's +Inf bucket.
    const inf = sample(
      text,
      'sightline_query_http_request_duration_seconds_bucket{le="+Inf",route="/v1/sites/:site/stats"}',
    )
    expect(inf).toBe(okBefore + deniedBefore + 3)
  })

  it('reads gauges when scraped', async () => {
    connections = 3
    expect(sample(await (await scrape(env)).text(), 'sightline_test_connections')).toBe(3)
    connections = 5
    expect(sample(await (await scrape(env)).text(), 'sightline_test_connections')).toBe(5)
  })
})

describe('GET /metrics without a configured token', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await openTestEnv({ seed: false })
  })
  afterAll(async () => {
    await env?.close()
  })

  it('does not exist', async () => {
    expect(
      (await env.app.request('/metrics', { headers: { authorization: 'Bearer anything' } })).status,
    ).toBe(404)
  })
})
