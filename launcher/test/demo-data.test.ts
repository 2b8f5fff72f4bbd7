import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { eventually, type TempDir, tempDir } from '@sightline/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoRequest, demoTraffic } from '../src/demo/traffic.ts'
import { launcherPorts, type RunningSightline, startSightline } from './launcher-harness.ts'

// `npm start` on a new data directory with the demo on (small: 3 days, ~40 visits a day, so
// the load takes seconds): the generated traffic goes through the edge code and the running
// bridge and writer, and what the API answers is recomputed here from the same generator
// output with docs/api.md's definitions (bots out, duplicates once, malformed refused).
const DAYS = 3
const VISITS = 40
let dir: TempDir
let running: RunningSightline

beforeAll(async () => {
  dir = await tempDir('sightline-demo-')
  running = await startSightline(join(dir.path, 'data'), await launcherPorts(), {
    env: {
      SIGHTLINE_DEMO: 'on',
      SIGHTLINE_DEMO_DAYS: String(DAYS),
      SIGHTLINE_DEMO_VISITS_PER_DAY: String(VISITS),
    },
  })
}, 240_000)
afterAll(async () => {
  await running?.stop()
  await dir?.cleanup()
})

interface Record_ {
  status: string
  seed: number
  end: string
  days: number
  visits_per_day: number
}
const record = (): Record_ | undefined => {
  try {
    return JSON.parse(readFileSync(join(dir.path, 'data', 'demo.json'), 'utf8'))
  } catch {
    return undefined
  }
}

type Ev = { type: string; event?: string; message_id: string; anonymous_id?: string; user_id?: string }
function expected(requests: DemoRequest[]) {
  const seen = new Set<string>()
  const out = { events: 0, pageviews: 0, visitors: new Set<string>(), withBots: 0, refused: 0 }
  for (const request of requests) {
    for (const e of request.body.batch as Ev[]) {
      const person = e.user_id ?? e.anonymous_id
      if (!person || (e.type === 'track' && !e.event)) {
        out.refused++
        continue
      }
      if (seen.has(e.message_id)) continue
      seen.add(e.message_id)
      out.withBots++
      if (request.bot) continue
      out.events++
      if (e.type === 'page') out.pageviews++
      out.visitors.add(person)
    }
  }
  // Visitors are persons: an identify merges its anonymous id and user id (docs/persons.md),
  // bots' identifies included, as the writer records every batch's links.
  const parent = new Map<string, string>()
  const root = (id: string): string => {
    const up = parent.get(id)
    if (up === undefined || up === id) return id
    const top = root(up)
    parent.set(id, top)
    return top
  }
  for (const request of requests)
    for (const e of request.body.batch as Ev[]) {
      if (e.type !== 'identify' || !e.anonymous_id || !e.user_id || e.anonymous_id === e.user_id) continue
      const [a, b] = [root(e.anonymous_id), root(e.user_id)]
      if (a !== b) parent.set(a, b)
    }
  return { ...out, visitors: new Set([...out.visitors].map(root)).size }
}

describe('the demo site', () => {
  it('is announced, kept apart from the demo site, and loaded through the pipeline with the right numbers', async () => {
    expect(running.output()).toContain('Demo data     site demo-shop')
    const shop = running.endpoints.sites.find((s) => s.site_id === 'demo-shop')
    const first = running.endpoints.sites.find((s) => s.site_id === 'demo')
    expect(shop?.read_key).toBeTruthy()
    // The examples (curl, snippet) still point at the user's own site, not the made-up one.
    expect(running.endpoints.sites[0]?.site_id).toBe('demo')

    const done = await eventually(
      async () => record(),
      (r) => r?.status === 'done',
      120_000,
      500,
    )
    expect(done?.status).toBe('done')
    expect(running.output()).toMatch(/demo data: loaded in [\d.]+ s/)
    const r = done!
    const requests = demoTraffic({
      seed: r.seed,
      end: Date.parse(r.end),
      days: r.days,
      visitsPerDay: r.visits_per_day,
    })
    const want = expected(requests)
    expect(want.events).toBeGreaterThan(100)

    const from = new Date(Date.parse(r.end) - (DAYS + 1) * 86_400_000).toISOString().slice(0, 10)
    const to = new Date(Date.parse(r.end) + 86_400_000).toISOString().slice(0, 10)
    const get = async (site: string, key: string, path: string) => {
      const res = await fetch(`${running.endpoints.query}/v1/sites/${site}/${path}`, {
        headers: { authorization: `Bearer ${key}` },
      })
      expect(res.status).toBe(200)
      return (await res.json()) as Record<string, unknown>
    }
    // The writer flushes on its own schedule: wait for the last events to be queryable.
    const withBots = await eventually(
      () => get('demo-shop', shop!.read_key!, `stats?from=${from}&to=${to}&include_bots=true`),
      (s) => s.events === want.withBots,
      30_000,
      500,
    )
    expect(withBots.events).toBe(want.withBots)
    const stats = await get('demo-shop', shop!.read_key!, `stats?from=${from}&to=${to}`)
    expect({ events: stats.events, pageviews: stats.pageviews, visitors: stats.visitors }).toEqual({
      events: want.events,
      pageviews: want.pageviews,
      visitors: want.visitors,
    })
    const rejected = await get('demo-shop', shop!.read_key!, `rejected?from=${from}&to=${to}`)
    expect(rejected.total).toBe(want.refused)
    // Nothing made up reached the user's own site.
    const mine = await get('demo', first!.read_key!, `stats?from=${from}&to=${to}&include_bots=true`)
    expect(mine.events).toBe(0)
  }, 200_000)
})
