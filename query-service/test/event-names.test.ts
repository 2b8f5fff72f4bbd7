import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventNamesResponse } from '../src/insights/event-names.ts'
import { FIXTURE_FROM, FIXTURE_TO, fixtureEvents } from './fixture.ts'
import { type ErrorJson, get, KEY_A, KEY_B, openTestEnv, post, type TestEnv } from './support.ts'

let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv()
})
afterAll(() => env?.close())

/** The same list computed in plain TypeScript from the rows the fixture stores. */
function expectedNames(site: string, includeBots: boolean) {
  const from = Date.parse(FIXTURE_FROM)
  const to = Date.parse(FIXTURE_TO)
  const byName = new Map<string, { count: number; first: number; last: number }>()
  for (const row of fixtureEvents()) {
    const t = Date.parse(`${row.ts.replace(' ', 'T')}Z`)
    if (row.site_id !== site || t < from || t >= to || (row.is_bot && !includeBots)) continue
    const seen = byName.get(row.event) ?? { count: 0, first: t, last: t }
    byName.set(row.event, {
      count: seen.count + 1,
      first: Math.min(seen.first, t),
      last: Math.max(seen.last, t),
    })
  }
  return [...byName]
    .sort(([a, x], [b, y]) => y.count - x.count || (a < b ? -1 : 1))
    .map(([stored, s]) => ({
      name: stored === '$pageview' ? 'pageview' : stored,
      stored_as: stored,
      count: s.count,
      first_seen: new Date(s.first).toISOString(),
      last_seen: new Date(s.last).toISOString(),
    }))
}

/** The newest received_at of the site's rows in the range, over every name. */
function expectedNewest(site: string, includeBots: boolean): string | null {
  const from = Date.parse(FIXTURE_FROM)
  const to = Date.parse(FIXTURE_TO)
  const times = fixtureEvents()
    .filter((r) => {
      const t = Date.parse(`${r.ts.replace(' ', 'T')}Z`)
      return r.site_id === site && t >= from && t < to && (includeBots || !r.is_bot)
    })
    .map((r) => Date.parse(`${r.received_at.replace(' ', 'T')}Z`))
  return times.length === 0 ? null : new Date(Math.max(...times)).toISOString()
}

const range = `from=${FIXTURE_FROM}&to=${FIXTURE_TO}`

describe('GET /v1/sites/:site/events', () => {
  it('lists the names with counts and first/last seen, page views under their public name', async () => {
    const res = await get(env.app, `/v1/sites/site_a/events?${range}`, KEY_A)
    expect(res.status).toBe(200)
    const body = (await res.json()) as EventNamesResponse
    expect(body.events).toEqual(expectedNames('site_a', false))
    expect(body.events.map((e) => e.name)).toEqual(['pageview', 'signup', 'purchase'])
    expect(body.truncated).toBe(false)

    const withBots = (await (
      await get(env.app, `/v1/sites/site_a/events?${range}&include_bots=1`, KEY_A)
    ).json()) as EventNamesResponse
    expect(withBots.events).toEqual(expectedNames('site_a', true))
    expect(body.newest_received_at).toBe(expectedNewest('site_a', false))
    expect(withBots.newest_received_at).toBe(expectedNewest('site_a', true))
    const empty = (await (
      await get(env.app, '/v1/sites/site_a/events?from=2001-01-01&to=2001-01-02', KEY_A)
    ).json()) as EventNamesResponse
    expect(empty).toMatchObject({ events: [], newest_received_at: null })
  })

  it('says when the list is cut at `limit`', async () => {
    const body = (await (
      await post(env.app, '/v1/sites/site_a/query', KEY_A, {
        kind: 'events',
        from: FIXTURE_FROM,
        to: FIXTURE_TO,
        limit: 2,
      })
    ).json()) as EventNamesResponse
    expect(body.events).toEqual(expectedNames('site_a', false).slice(0, 2))
    expect(body.truncated).toBe(true)
    // Over all names, not only the two listed.
    expect(body.newest_received_at).toBe(expectedNewest('site_a', false))
    const newestListed = Math.max(...body.events.map((e) => Date.parse(e.last_seen)))
    expect(Date.parse(body.newest_received_at!)).toBeGreaterThan(newestListed)
  })

  it('shows only the key’s own site and refuses bad parameters with the contract', async () => {
    const other = (await (
      await get(env.app, `/v1/sites/site_b/events?${range}`, KEY_B)
    ).json()) as EventNamesResponse
    expect(other.events).toEqual(expectedNames('site_b', false))
    expect((await get(env.app, `/v1/sites/site_b/events?${range}`, KEY_A)).status).toBe(403)
    for (const bad of ['limit=0', 'limit=1001', 'limit=x', 'from=yesterday', 'order=desc']) {
      const res = await get(env.app, `/v1/sites/site_a/events?${bad}`, KEY_A)
      expect(res.status, bad).toBe(400)
      expect(((await res.json()) as ErrorJson).error.code, bad).toBe('invalid_query')
    }
  })
})
