import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import { INSIGHTS, insightIndex } from '../src/insights/registry.ts'
import { stats } from '../src/insights/stats.ts'
import type { Planned } from '../src/sql/fragment.ts'
import { topEvents } from './example-kind/top-events.ts'
import { FIXTURE_FROM, FIXTURE_NOW, FIXTURE_TO } from './fixture.ts'
import { type ErrorJson, get, KEY_A, keys, openTestEnv, post, type TestEnv } from './support.ts'

// The registry at work: a kind defined in one module (example-kind/top-events.ts) is served
// by GET, by the query endpoint and in OpenAPI, with nothing else edited.
let env: TestEnv
let app: ReturnType<typeof createApp>
beforeAll(async () => {
  env = await openTestEnv()
  app = createApp({
    warehouse: env.warehouse,
    keys,
    clock: () => FIXTURE_NOW,
    insights: [...INSIGHTS, topEvents],
  })
})
afterAll(async () => {
  await env?.close()
})

const range = `from=${FIXTURE_FROM}&to=${FIXTURE_TO}`

describe('a kind added as one module', () => {
  it('gets a GET route answering from the warehouse (fixture: 4 pageviews, 2 signups, 1 purchase)', async () => {
    const res = await get(app, `/v1/sites/site_a/top_events?${range}`, KEY_A)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      site: 'site_a',
      from: FIXTURE_FROM,
      to: FIXTURE_TO,
      events: [
        { event: '$pageview', count: 4 },
        { event: 'signup', count: 2 },
        { event: 'purchase', count: 1 },
      ],
      meta: {
        cache: 'off',
        elapsed_ms: expect.any(Number),
        source: 'events',
        rows_read: expect.any(Number),
        bytes_read: expect.any(Number),
      },
    })
  })

  it('binds its own parameters, arrays included', async () => {
    const res = await get(app, `/v1/sites/site_a/top_events?${range}&names=signup,purchase&limit=1`, KEY_A)
    expect(((await res.json()) as { events: unknown[] }).events).toEqual([{ event: 'signup', count: 2 }])
    const explained = (await (
      await get(app, `/v1/sites/site_a/top_events?${range}&names=signup,purchase&explain=1`, KEY_A)
    ).json()) as Planned
    expect(explained.params).toMatchObject({ names: ['signup', 'purchase'], limit: 10 })
    expect(explained.sql).toContain('has({names:Array(String)}, event)')
  })

  it('is a variant of the query endpoint, with JSON arrays', async () => {
    const res = await post(app, '/v1/sites/site_a/query', KEY_A, {
      kind: 'top_events',
      from: FIXTURE_FROM,
      to: FIXTURE_TO,
      names: ['purchase'],
    })
    expect(((await res.json()) as { events: unknown[] }).events).toEqual([{ event: 'purchase', count: 1 }])
    const unknown = await post(app, '/v1/sites/site_a/query', KEY_A, { kind: 'nope' })
    // Every registered kind, the added one last.
    expect(((await unknown.json()) as ErrorJson).error.message).toContain(
      [...INSIGHTS.map((i) => i.kind), 'top_events'].join(', '),
    )
  })

  it('refuses misspelt parameters and keeps the read-key check', async () => {
    expect((await get(app, '/v1/sites/site_a/top_events?limt=5', KEY_A)).status).toBe(400)
    expect((await get(app, '/v1/sites/site_a/top_events')).status).toBe(401)
  })

  it('appears in OpenAPI: its path, parameters, response and spec schema', async () => {
    const doc = (await (await get(app, '/v1/openapi.json')).json()) as {
      paths: Record<string, { get?: { parameters: Array<{ name: string }> } }>
      components: { schemas: Record<string, unknown> }
    }
    const names = doc.paths['/v1/sites/{site}/top_events']?.get?.parameters.map((p) => p.name)
    expect(names?.sort()).toEqual([
      'explain',
      'from',
      'include_bots',
      'limit',
      'names',
      'range',
      'site',
      'to',
    ])
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['TopEvents', 'TopEventsSpec']),
    )
  })

  it('the registry refuses duplicate, reserved and path-unsafe kinds', () => {
    expect(() => insightIndex([stats, stats])).toThrow(/two insight kinds/)
    expect(() => insightIndex([{ ...stats, kind: 'query' }])).toThrow(/POST entry/)
    expect(() => insightIndex([{ ...stats, kind: '../x' }])).toThrow(/invalid insight kind/)
  })
})
