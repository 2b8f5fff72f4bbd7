import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Planned } from '../src/sql/fragment.ts'
import { get, KEY_A, openTestEnv, type TestEnv } from './support.ts'

let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv({ seed: false })
})
afterAll(async () => {
  await env?.close()
})

describe('?explain=1', () => {
  it('returns the stats SQL and its bound parameters instead of rows', async () => {
    const res = await get(env.app, '/v1/sites/site_a/stats?from=2024-01-01&to=2024-01-04&explain=1', KEY_A)
    expect(res.status).toBe(200)
    const body = (await res.json()) as Planned
    expect(body.params).toEqual({
      site: 'site_a',
      from: '2024-01-01 00:00:00.000',
      to: '2024-01-04 00:00:00.000',
      // The previous period of equal length, and the visit timeout (docs/metrics.md).
      previous_from: '2023-12-29 00:00:00.000',
      session_timeout_ms: 1_800_000,
    })
    expect(body.sql).toContain('site_id = {site:String}')
    expect(body.sql).not.toContain('site_a')
    expect(body.sql).not.toContain('2024')
  })

  it('keeps every user value of a trends query out of the SQL text', async () => {
    const event = "signup'); DROP TABLE events; --"
    const query = new URLSearchParams({ event, tz: 'Asia/Kolkata', interval: 'week', explain: 'true' })
    const res = await get(env.app, `/v1/sites/site_a/trends?${query}`, KEY_A)
    expect(res.status).toBe(200)
    const body = (await res.json()) as Planned
    expect(body.params).toMatchObject({ site: 'site_a', event, tz: 'Asia/Kolkata' })
    // Defaults resolved against the app clock: 12 weeks back from now.
    expect(body.params).toMatchObject({ from: '2023-10-19 00:00:00.000', to: '2024-01-11 00:00:00.000' })
    for (const value of [event, 'Asia/Kolkata', 'site_a', 'DROP']) expect(body.sql).not.toContain(value)
    expect(body.sql).toContain('event = {event:String}')
    expect(body.sql).toContain('STEP INTERVAL 1 WEEK')
  })

  it('still requires a key scoped to the site', async () => {
    const res = await get(env.app, '/v1/sites/site_b/stats?explain=1', KEY_A)
    expect(res.status).toBe(403)
  })
})
