import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  LIVE_SUBPROTOCOL,
  LiveClient,
  type ServerMessage,
  type ServerMessageOf,
} from '@sightline/live-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { launcherPorts, postBatch, type RunningSightline, startSightline } from './launcher-harness.ts'

// `npm start` as a real process: events go through the real edge (workerd) → bridge → log →
// writer → chdb, live subscribers sit on the query service's WebSocket, and the number of
// warehouse runs is read from the bridge's /metrics, where the hub counts them.
const dataDir = mkdtempSync(join(tmpdir(), 'sightline-live-query-'))
let running: RunningSightline
let site: { site_id: string; write_key: string; read_key: string }
const clients: LiveClient[] = []

beforeAll(async () => {
  running = await startSightline(dataDir, await launcherPorts())
  site = running.endpoints.sites[0] as typeof site
}, 200_000)
afterAll(async () => {
  for (const c of clients) c.close()
  await running?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

const liveUrl = () => `${running.endpoints.query.replace('http', 'ws')}/v1/live`
async function client() {
  const c = new LiveClient({
    url: liveUrl(),
    key: site.read_key,
    WebSocket: WebSocket as never,
    reconnect: false,
  })
  clients.push(c)
  await c.waitFor((m) => m.type === 'ready')
  return c
}
const is =
  <T extends ServerMessage['type']>(type: T, id: string) =>
  (m: ServerMessage): m is ServerMessageOf<T> =>
    m.type === type && (m as { id?: string }).id === id

// An absolute range around now: it runs on commits only, so the run counts below are exactly
// one per watermark, and a resume at the current watermark is answered `unchanged`. A range
// left to the clock (`to` omitted) is also re-run on the clock, which the query service's
// live-query-clock test covers with a clock it controls.
const STATS = { kind: 'stats', from: '2020-01-01T00:00:00Z', to: '2040-01-01T00:00:00Z', include_bots: true }
// The same spec spelt differently (field order, "1" for true): it must share the run.
const STATS_AGAIN = {
  include_bots: '1',
  to: '2040-01-01T00:00:00.000Z',
  from: '2020-01-01T00:00:00.000Z',
  kind: 'stats',
}
// Fixed `from`, `to` left to the clock: a moving "until now" range, as dashboards ask.
const BREAKDOWN = { kind: 'breakdown', by: 'entry_page', from: '2000-01-01T00:00:00Z', include_bots: true }

async function rest(spec: object): Promise<Record<string, unknown>> {
  const res = await fetch(`${running.endpoints.query}/v1/sites/${site.site_id}/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${site.read_key}`, 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  })
  const body = (await res.json()) as Record<string, unknown>
  return { status: res.status, ...body }
}

/** The live query runs the hub counted for `kind`, from the bridge's Prometheus text. */
async function runs(kind: string): Promise<number> {
  const res = await fetch(`${running.endpoints.bridge}/metrics`, {
    headers: { authorization: `Bearer ${running.endpoints.metrics_token}` },
  })
  const text = await res.text()
  const line = text
    .split('\n')
    .find((l) => l.startsWith('sightline_live_query_runs_total{') && l.includes(`kind="${kind}"`))
  return line ? Number(line.split(' ').at(-1)) : 0
}

function pages(paths: string[]) {
  return {
    batch: paths.map((path) => ({
      type: 'page',
      message_id: randomUUID(),
      anonymous_id: `lq-${randomUUID()}`,
      context: { page: { path } },
    })),
  }
}

const numbers = (d: Record<string, unknown>) => ({
  events: d.events,
  pageviews: d.pageviews,
  visitors: d.visitors,
  visits: d.visits,
})

describe('live query channel on `npm start`', () => {
  it('snapshots, then pushes updates matching REST, one warehouse run per watermark for a shared spec', async () => {
    const a = await client()
    const b = await client()
    a.subscribe({ id: 's', site: site.site_id, channel: 'query', spec: STATS })
    a.subscribe({ id: 'b', site: site.site_id, channel: 'query', spec: BREAKDOWN })
    b.subscribe({ id: 'same', site: site.site_id, channel: 'query', spec: STATS_AGAIN })
    const [snapA, snapB] = await Promise.all([
      a.waitFor(is('snapshot', 's')),
      b.waitFor(is('snapshot', 'same')),
    ])
    await a.waitFor(is('snapshot', 'b'))
    expect(snapA.data).toMatchObject({ site: site.site_id, events: 0 })
    expect(snapB.data).toEqual(snapA.data)
    expect(snapB.watermark).toBe(snapA.watermark)
    const runsAfterSnapshots = await runs('stats')
    expect(runsAfterSnapshots).toBe(1)

    const updA = a.waitFor(is('update', 's'), 15_000)
    const updB = b.waitFor(is('update', 'same'), 15_000)
    const updBreakdown = a.waitFor(is('update', 'b'), 15_000)
    const sent = await postBatch(
      running.endpoints.edge,
      site.write_key,
      pages(['/pricing', '/pricing', '/docs', '/', '/pricing']),
    )
    expect(sent.status).toBe(200)
    const [ua, ub, ubr] = await Promise.all([updA, updB, updBreakdown])
    expect(ua.data).toMatchObject({ events: 5, pageviews: 5, visitors: 5 })
    expect(ub.data).toEqual(ua.data)
    expect(ub.watermark).toBe(ua.watermark)
    expect(ua.watermark).not.toBe(snapA.watermark)
    // The REST answer for the same spec, now: the same numbers.
    const now = await rest(STATS)
    expect(now.status).toBe(200)
    expect(numbers(ua.data as Record<string, unknown>)).toEqual(numbers(now))
    const restBreakdown = await rest(BREAKDOWN)
    expect((ubr.data as { rows: unknown }).rows).toEqual(restBreakdown.rows)
    expect((ubr.data as { rows: { value: string; visits: number }[] }).rows[0]).toMatchObject({
      value: '/pricing',
      visits: 3,
    })
    // Two subscribers, two watermarks (the snapshot's and the commit's): two runs, not four.
    expect(await runs('stats')).toBe(2)

    // A third subscriber of the spec is answered from the group's result, with no run.
    const c = await client()
    c.subscribe({ id: 'late', site: site.site_id, channel: 'query', spec: STATS })
    expect((await c.waitFor(is('snapshot', 'late'))).data).toEqual(ua.data)
    expect(await runs('stats')).toBe(2)

    // Resume: `since` equal to the current watermark runs nothing and sends no data.
    const raw = new WebSocket(liveUrl(), [LIVE_SUBPROTOCOL, site.read_key])
    const messages: Record<string, unknown>[] = []
    raw.on('message', (d) => messages.push(JSON.parse(String(d))))
    await new Promise((r) => raw.once('open', r))
    raw.send(
      JSON.stringify({
        type: 'subscribe',
        id: 'r',
        site: site.site_id,
        channel: 'query',
        spec: STATS,
        since: ua.watermark,
      }),
    )
    raw.send(
      JSON.stringify({
        type: 'subscribe',
        id: 'old',
        site: site.site_id,
        channel: 'query',
        spec: STATS,
        since: snapA.watermark,
      }),
    )
    await expect.poll(() => messages.filter((m) => m.type === 'snapshot').length, { timeout: 5_000 }).toBe(2)
    expect(messages.find((m) => m.id === 'r')).toEqual({
      type: 'snapshot',
      id: 'r',
      channel: 'query',
      watermark: ua.watermark,
      unchanged: true,
    })
    expect((messages.find((m) => m.id === 'old') as { data: unknown }).data).toEqual(ua.data)
    raw.close()
  })

  it('debounces: a burst of commits re-runs a spec at most once a second, ending on the right numbers', async () => {
    const a = await client()
    a.subscribe({ id: 'd', site: site.site_id, channel: 'query', spec: STATS })
    const snap = await a.waitFor(is('snapshot', 'd'))
    const before = (snap.data as { events: number }).events
    const updates: { events: number }[] = []
    a.on((m) => {
      if (is('update', 'd')(m)) updates.push({ events: (m.data as { events: number }).events })
    })
    const runs0 = await runs('stats')
    const started = performance.now()
    for (let i = 0; i < 8; i++) {
      expect((await postBatch(running.endpoints.edge, site.write_key, pages([`/burst/${i}`]))).status).toBe(
        200,
      )
      await new Promise((r) => setTimeout(r, 250))
    }
    await expect.poll(() => updates.at(-1)?.events, { timeout: 15_000 }).toBe(before + 8)
    const elapsedS = (performance.now() - started) / 1000
    const ran = (await runs('stats')) - runs0
    expect(ran).toBeGreaterThan(0)
    expect(ran).toBeLessThanOrEqual(Math.floor(elapsedS) + 1)
    // Eight commits, coalesced: runs START at least 1 s apart (arrival gaps also carry each
    // run's own duration, so the count of runs is what is checked), and every update is a run.
    expect(ran).toBeLessThan(8)
    expect(updates.length).toBeLessThanOrEqual(ran)
  })

  it('refuses invalid specs with the REST codes, and another site with forbidden_site', async () => {
    const a = await client()
    const bad = [
      { kind: 'nope' },
      { kind: 'stats', frm: '2000-01-01T00:00:00Z' },
      { kind: 'stats', from: '2030-01-01T00:00:00Z', to: '2029-01-01T00:00:00Z' },
      { kind: 'stats', explain: true },
    ]
    for (const [i, spec] of bad.entries()) {
      a.subscribe({ id: `bad${i}`, site: site.site_id, channel: 'query', spec })
      const err = await a.waitFor(is('error', `bad${i}`))
      expect(err.error.code).toBe('invalid_query')
      if (spec.explain !== true) expect((await rest(spec)).status).toBe(400)
    }
    a.subscribe({ id: 'other', site: 'not-this-site', channel: 'query', spec: STATS })
    expect((await a.waitFor(is('error', 'other'))).error.code).toBe('forbidden_site')
    // The connection is still usable after every refusal.
    a.subscribe({ id: 'ok', site: site.site_id, channel: 'query', spec: STATS })
    await a.waitFor(is('snapshot', 'ok'))
  })
})
