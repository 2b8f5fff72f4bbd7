import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { type EdgeBatch, type EnrichedEvent, SIGNATURE_HEADER, signBody } from '@sightline/contracts'
import { CLOSE, LiveClient, type ServerMessage, type ServerMessageOf } from '@sightline/live-client'
import { type TempDir, tempDir } from '@sightline/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startHub } from '../src/hub.ts'
import { dataLayout, loadOrCreateState } from '../src/workspace.ts'

// The embedded hub in this process: signed batches go to its real bridge listener, live
// subscribers sit on its real query listener — the path an accepted event takes in `npm start`.
let dir: TempDir
let hub: Awaited<ReturnType<typeof startHub>>
let readKey: string
let signing: { key_id: string; key: string }
const clients: LiveClient[] = []

beforeAll(async () => {
  dir = await tempDir('sightline-live-e2e-')
  const dataDir = join(dir.path, 'data')
  hub = await startHub({ dataDir, bridgePort: 0, queryPort: 0, logLevel: 'silent', geoDatabases: [] })
  const { state } = loadOrCreateState(dataLayout(dataDir))
  readKey = state.local_read_keys.demo!
  signing = state.signing
}, 120_000)
afterAll(async () => {
  for (const c of clients) c.close()
  await hub?.stop()
  await dir?.cleanup()
})

const liveUrl = () => `${hub.urls.query.replace('http', 'ws')}/v1/live`
function client(key: string) {
  const c = new LiveClient({ url: liveUrl(), key, WebSocket: WebSocket as never, reconnect: false })
  clients.push(c)
  return c
}
const is =
  <T extends ServerMessage['type']>(type: T, id: string) =>
  (m: ServerMessage): m is ServerMessageOf<T> =>
    m.type === type && (m as { id?: string }).id === id

function pageview(person: string, path: string, country: string): EnrichedEvent {
  const now = new Date().toISOString()
  return {
    type: 'page',
    event: '$pageview',
    message_id: randomUUID(),
    anonymous_id: person,
    user_id: '',
    timestamp: now,
    received_at: now,
    ts: now,
    clock_skewed: false,
    site_id: 'demo',
    properties: {},
    traits: {},
    context: { page: { path, referrer: 'https://news.example.org/item' } },
    ingest_path: 'native',
    geo: { country },
  }
}

async function ingest(events: EnrichedEvent[]): Promise<number> {
  const batch: EdgeBatch = {
    v: 1,
    batch_id: randomUUID(),
    site_id: 'demo',
    received_at: new Date().toISOString(),
    events,
  }
  const body = JSON.stringify(batch)
  const res = await fetch(`${hub.urls.bridge}/v1/ingest`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: await signBody(body, signing.key_id, signing.key),
    },
    body,
  })
  return res.status
}

describe('live API on the embedded hub', () => {
  it('pushes events accepted by the bridge to events and visitors subscribers', async () => {
    const c = client(readKey)
    expect((await c.waitFor((m) => m.type === 'ready')) as ServerMessageOf<'ready'>).toMatchObject({
      sites: ['demo'],
    })
    c.subscribe({ id: 'tail', site: 'demo', channel: 'events', path: '/launch' })
    c.subscribe({ id: 'now', site: 'demo', channel: 'visitors' })
    await Promise.all([c.waitFor(is('snapshot', 'tail')), c.waitFor(is('snapshot', 'now'))])

    const tail = c.waitFor(is('update', 'tail'))
    const visitors = c.waitFor(
      (m): m is ServerMessageOf<'update'> =>
        is('update', 'now')(m) && (m.data as { active: number }).active === 3,
    )
    const sent = performance.now()
    expect(
      await ingest([
        pageview('a', '/launch', 'DE'),
        pageview('b', '/launch', 'FR'),
        pageview('c', '/', 'DE'),
      ]),
    ).toBe(200)
    const events = (await tail).data as { events: { path?: string; country?: string; source?: string }[] }
    expect(events.events.map((e) => e.country)).toEqual(['DE', 'FR'])
    expect(events.events[0]).toMatchObject({ path: '/launch', source: 'news.example.org' })
    expect((await visitors).data).toMatchObject({
      active: 3,
      top_pages: [
        { key: '/launch', count: 2 },
        { key: '/', count: 1 },
      ],
      top_countries: [
        { key: 'DE', count: 2 },
        { key: 'FR', count: 1 },
      ],
      top_sources: [{ key: 'news.example.org', count: 3 }],
    })
    // Generous for a shared machine; the benchmark is where latency is measured.
    expect(performance.now() - sent).toBeLessThan(2_000)
  })

  it('refuses a wrong key and another site', async () => {
    expect((await client('rk_not_a_key').nextClose()).code).toBe(CLOSE.authFailed)
    const c = client(readKey)
    await c.waitFor((m) => m.type === 'ready')
    c.subscribe({ id: 'x', site: 'not-demo', channel: 'events' })
    expect((await c.waitFor(is('error', 'x'))).error.code).toBe('forbidden_site')
  })
})
