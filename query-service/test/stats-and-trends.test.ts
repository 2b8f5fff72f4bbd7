import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StatsResponse } from '../src/insights/stats.ts'
import type { TrendsResponse } from '../src/insights/trends.ts'
import { FIXTURE_FROM, FIXTURE_TO } from './fixture.ts'
import { get, KEY_A, KEY_B, KEY_BOTH, openTestEnv, type TestEnv } from './support.ts'

// Expected numbers are the hand-worked answers in fixture.ts.
let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv()
})
afterAll(async () => {
  await env?.close()
})

const range = `from=${FIXTURE_FROM}&to=${FIXTURE_TO}`

async function stats(query: string, key = KEY_A, site = 'site_a'): Promise<StatsResponse> {
  const res = await get(env.app, `/v1/sites/${site}/stats?${query}`, key)
  expect(res.status).toBe(200)
  return (await res.json()) as StatsResponse
}

async function trends(query: string): Promise<NonNullable<TrendsResponse['buckets']>> {
  const res = await get(env.app, `/v1/sites/site_a/trends?${query}`, KEY_A)
  expect(res.status).toBe(200)
  return ((await res.json()) as TrendsResponse).buckets!
}

describe('GET /v1/sites/:site/stats', () => {
  it('counts events, pageviews, visitors and visits in [from, to), bots excluded, with the previous period', async () => {
    // Visits (see fixture.ts): alice 10:00–10:05, alice 01-03 23:30, bob 11:00, bob 01-03
    // 23:59:59.999 (a track only: no page view, not a bounce), carol 03:00–03:10.
    expect(await stats(range)).toEqual({
      site: 'site_a',
      from: FIXTURE_FROM,
      to: FIXTURE_TO,
      include_bots: false,
      events: 7,
      pageviews: 4,
      visitors: 3,
      visits: 5,
      views_per_visit: 4 / 5,
      bounce_rate: 4 / 5,
      visit_duration_s: (300 + 600) / 5,
      // Only dave's 2023-12-31 23:59:59.999 page view lies in the three days before.
      previous: {
        from: '2023-12-29T00:00:00.000Z',
        to: FIXTURE_FROM,
        events: 1,
        pageviews: 1,
        visitors: 1,
        visits: 1,
        views_per_visit: 1,
        bounce_rate: 1,
        visit_duration_s: 0,
      },
      // Without a watermark (this app has none) the result cache is off.
      meta: {
        cache: 'off',
        elapsed_ms: expect.any(Number),
        source: 'events',
        rows_read: expect.any(Number),
        bytes_read: expect.any(Number),
      },
    })
  })

  it('counts the bot row when include_bots=true', async () => {
    expect(await stats(`${range}&include_bots=true`)).toMatchObject({ events: 8, pageviews: 5, visitors: 4 })
  })

  it("only ever counts the requested site's rows", async () => {
    expect(await stats(range, KEY_B, 'site_b')).toMatchObject({ events: 1, pageviews: 1, visitors: 1 })
    expect(await stats(range, KEY_BOTH, 'site_b')).toMatchObject({ events: 1 })
  })

  it('accepts date-only bounds as UTC midnight', async () => {
    expect(await stats('from=2024-01-01&to=2024-01-04')).toMatchObject({ events: 7, from: FIXTURE_FROM })
  })

  it('defaults to the last 7 days before now', async () => {
    // The clock says 2024-01-11: [01-04, 01-11) holds only dave's row at exactly 01-04T00:00.
    expect(await stats('')).toMatchObject({
      from: '2024-01-04T00:00:00.000Z',
      to: '2024-01-11T00:00:00.000Z',
      events: 1,
      visitors: 1,
    })
  })
})

describe('GET /v1/sites/:site/trends', () => {
  it('returns one row per UTC day, the bot-only day as zeros', async () => {
    expect(await trends(range)).toEqual([
      { bucket: '2024-01-01T00:00:00.000Z', count: 3, visitors: 2 },
      { bucket: '2024-01-02T00:00:00.000Z', count: 0, visitors: 0 },
      { bucket: '2024-01-03T00:00:00.000Z', count: 4, visitors: 3 },
    ])
  })

  it('includes bots on request', async () => {
    const buckets = await trends(`${range}&include_bots=1`)
    expect(buckets[1]).toEqual({ bucket: '2024-01-02T00:00:00.000Z', count: 1, visitors: 1 })
  })

  it('filters to one event', async () => {
    expect(await trends(`${range}&event=signup`)).toEqual([
      { bucket: '2024-01-01T00:00:00.000Z', count: 1, visitors: 1 },
      { bucket: '2024-01-02T00:00:00.000Z', count: 0, visitors: 0 },
      { bucket: '2024-01-03T00:00:00.000Z', count: 1, visitors: 1 },
    ])
  })

  it('takes `pageview`, the public name of page views, for the stored `$pageview`', async () => {
    const stored = await trends(`${range}&event=${encodeURIComponent('$pageview')}`)
    expect(stored.some((b) => b.count > 0)).toBe(true)
    expect(await trends(`${range}&event=pageview`)).toEqual(stored)
  })

  it('aligns days to local midnight in the requested zone', async () => {
    expect(await trends(`${range}&tz=America/New_York`)).toEqual([
      { bucket: '2023-12-31T05:00:00.000Z', count: 0, visitors: 0 },
      { bucket: '2024-01-01T05:00:00.000Z', count: 3, visitors: 2 },
      { bucket: '2024-01-02T05:00:00.000Z', count: 2, visitors: 1 },
      { bucket: '2024-01-03T05:00:00.000Z', count: 2, visitors: 2 },
    ])
  })

  it('buckets by hour', async () => {
    expect(await trends('interval=hour&from=2024-01-01T09:00:00Z&to=2024-01-01T12:00:00Z')).toEqual([
      { bucket: '2024-01-01T09:00:00.000Z', count: 0, visitors: 0 },
      { bucket: '2024-01-01T10:00:00.000Z', count: 2, visitors: 1 },
      { bucket: '2024-01-01T11:00:00.000Z', count: 1, visitors: 1 },
    ])
  })

  it('buckets by ISO week, starting Monday', async () => {
    expect(await trends('interval=week&from=2024-01-01&to=2024-01-15')).toEqual([
      { bucket: '2024-01-01T00:00:00.000Z', count: 8, visitors: 4 },
      { bucket: '2024-01-08T00:00:00.000Z', count: 0, visitors: 0 },
    ])
  })

  it('buckets by month', async () => {
    expect(await trends('interval=month&from=2023-12-01&to=2024-02-01')).toEqual([
      { bucket: '2023-12-01T00:00:00.000Z', count: 1, visitors: 1 },
      { bucket: '2024-01-01T00:00:00.000Z', count: 8, visitors: 4 },
    ])
  })

  it('echoes the resolved spec next to the buckets', async () => {
    const res = await get(env.app, `/v1/sites/site_a/trends?${range}&event=signup`, KEY_A)
    const body = (await res.json()) as TrendsResponse
    expect({ ...body, buckets: body.buckets!.length }).toEqual({
      site: 'site_a',
      event: 'signup',
      interval: 'day',
      tz: 'UTC',
      from: FIXTURE_FROM,
      to: FIXTURE_TO,
      include_bots: false,
      filters: [],
      buckets: 3,
      meta: {
        cache: 'off',
        elapsed_ms: expect.any(Number),
        source: 'rollup',
        rows_read: expect.any(Number),
        bytes_read: expect.any(Number),
      },
    })
  })
})
