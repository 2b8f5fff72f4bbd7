import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { LiveEvent } from '@sightline/contracts'
import {
  CLOSE,
  LIVE_SUBPROTOCOL,
  LiveClient,
  type ServerMessage,
  type ServerMessageOf,
} from '@sightline/live-client'
import { channels, memoryPubSub, type PubSub } from '@sightline/state'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { insertWatermark } from '../src/adapters/insert-watermark.ts'
import { staticReadKeys } from '../src/adapters/read-keys-file.ts'
import type { LiveOptions } from '../src/live/options.ts'
import { attachLive, type LiveEndpoint } from '../src/live/server.ts'

// A real Node listener with the live endpoint, real WebSocket clients, and the same
// pub/sub port the bridge publishes accepted events to.
const KEY_A = 'rk_live_test_a'
const KEY_B = 'rk_live_test_b'
let server: Server
let pubsub: PubSub
let live: LiveEndpoint
let url: string
const clients: LiveClient[] = []

async function start(options: Partial<LiveOptions> = {}, now?: () => number) {
  server = createServer((_req, res) => res.writeHead(404).end())
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  pubsub = memoryPubSub()
  live = attachLive(server, {
    keys: staticReadKeys({
      read_keys: [
        { key: KEY_A, sites: ['site-a'] },
        { key: KEY_B, sites: ['site-b'] },
      ],
    }),
    pubsub,
    watermark: insertWatermark(),
    options: { authTimeoutMs: 300, visitorsPushMs: 50, ...options },
    ...(now ? { now } : {}),
  })
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/live`
}
beforeEach(() => start())
afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await live.close()
  await new Promise((r) => server.close(r))
})

function client(key = KEY_A, extra: Partial<ConstructorParameters<typeof LiveClient>[0]> = {}) {
  const c = new LiveClient({ url, key, WebSocket: WebSocket as never, reconnect: false, ...extra })
  clients.push(c)
  return c
}
const is =
  <T extends ServerMessage['type']>(type: T, id?: string) =>
  (m: ServerMessage): m is ServerMessageOf<T> =>
    m.type === type && (id === undefined || (m as { id?: string }).id === id)

function publish(site: string, events: Partial<LiveEvent>[]) {
  const full = events.map((e, i) => ({
    event: '$pageview',
    ts: new Date().toISOString(),
    person: `p${i}`,
    properties: {},
    ...e,
  }))
  return pubsub.publish(channels.live(site), JSON.stringify({ events: full }))
}

describe('GET /v1/live', () => {
  it('authenticates by first message, snapshots and streams events with filters', async () => {
    const c = client()
    const ready = await c.waitFor(is('ready'))
    expect(ready).toMatchObject({ v: 1, sites: ['site-a'] })
    c.subscribe({ id: 'tail', site: 'site-a', channel: 'events', event: 'pageview', country: 'DE' })
    const snap = await c.waitFor(is('snapshot', 'tail'))
    expect(snap.data).toEqual({ events: [], sample_rate: 1, rate_per_s: 0 })
    const update = c.waitFor(is('update', 'tail'))
    await publish('site-a', [
      { country: 'DE', path: '/a' },
      { country: 'FR', path: '/b' },
      { event: 'signup', country: 'DE' },
      { country: 'DE', path: '/c' },
    ])
    const got = await update
    expect(got.channel).toBe('events')
    const data = got.data as { events: LiveEvent[]; sample_rate: number }
    expect(data.events.map((e) => e.path)).toEqual(['/a', '/c'])
    expect(data.sample_rate).toBe(1)
  })

  it('authenticates by the Sec-WebSocket-Protocol header without echoing the key', async () => {
    const raw = new WebSocket(url, [LIVE_SUBPROTOCOL, KEY_A])
    const first = await new Promise<string>((resolve) => raw.once('message', (d) => resolve(String(d))))
    expect(raw.protocol).toBe(LIVE_SUBPROTOCOL)
    expect(JSON.parse(first)).toMatchObject({ type: 'ready', sites: ['site-a'] })
    raw.close()
  })

  it('counts active visitors with top pages, sources and countries, pushing changes', async () => {
    const c = client()
    await c.waitFor(is('ready'))
    c.subscribe({ id: 'v', site: 'site-a', channel: 'visitors' })
    const snap = await c.waitFor(is('snapshot', 'v'))
    expect(snap.data).toMatchObject({ active: 0, window_s: 300 })
    const update = c.waitFor(
      (m): m is ServerMessageOf<'update'> =>
        is('update', 'v')(m) && (m.data as { active: number }).active === 3,
    )
    await publish('site-a', [
      { person: 'x', path: '/pricing', country: 'DE', source: 'news.ycombinator.com' },
      { person: 'y', path: '/pricing', country: 'DE' },
      { person: 'z', path: '/', country: 'US' },
      { person: 'x', path: '/pricing' },
    ])
    const data = (await update).data
    expect(data).toMatchObject({
      active: 3,
      top_pages: [
        { key: '/pricing', count: 2 },
        { key: '/', count: 1 },
      ],
      top_countries: [
        { key: 'DE', count: 2 },
        { key: 'US', count: 1 },
      ],
      top_sources: [
        { key: '(direct)', count: 2 },
        { key: 'news.ycombinator.com', count: 1 },
      ],
    })
  })

  it('lets visitors leave the window with no further events, each on time', async () => {
    // The visitors window reads the endpoint's clock; here the test moves it. The pushes
    // themselves still come from the real 50 ms check, with no event arriving in between.
    await live.close()
    await new Promise((r) => server.close(r))
    let nowMs = Date.parse('2026-03-01T12:00:00Z')
    await start({ visitorsWindowMs: 5 * 60_000 }, () => nowMs)
    const c = client()
    await c.waitFor(is('ready'))
    c.subscribe({ id: 'v', site: 'site-a', channel: 'visitors' })
    await c.waitFor(is('snapshot', 'v'))
    const active =
      (n: number) =>
      (m: ServerMessage): m is ServerMessageOf<'update'> =>
        is('update', 'v')(m) && (m.data as { active: number }).active === n
    const seen: number[] = []
    c.on((m) => is('update', 'v')(m) && seen.push((m.data as { active: number }).active))

    // x and y arrive at 12:00, z at 12:01 (each received before the clock moves on).
    const two = c.waitFor(active(2))
    await publish('site-a', [
      { person: 'x', path: '/a' },
      { person: 'y', path: '/b' },
    ])
    await two
    nowMs += 60_000
    const three = c.waitFor(active(3))
    await publish('site-a', [{ person: 'z', path: '/c' }])
    await three

    // 12:04:59.999: x and y were heard from 5 min ago less 1 ms, still active.
    nowMs = Date.parse('2026-03-01T12:04:59.999Z')
    await new Promise((r) => setTimeout(r, 200))
    expect(seen.at(-1)).toBe(3)
    // 12:05:00: their five minutes are over; z (12:01) stays.
    nowMs = Date.parse('2026-03-01T12:05:00Z')
    const one = await c.waitFor(active(1))
    expect(one.data).toMatchObject({ active: 1, top_pages: [{ key: '/c', count: 1 }] })
    // 12:06:00: z too. Nobody is left, and an update says so.
    nowMs = Date.parse('2026-03-01T12:06:00Z')
    const none = await c.waitFor(active(0))
    expect(none.data).toMatchObject({ active: 0, top_pages: [], top_sources: [], top_countries: [] })
    expect(seen).toEqual([...seen.slice(0, seen.indexOf(3) + 1), 1, 0])
  })

  it('samples above the events/s cap and says so in each message', async () => {
    await live.close()
    await new Promise((r) => server.close(r))
    await start({ maxEventsPerS: 10 })
    const c = client()
    await c.waitFor(is('ready'))
    c.subscribe({ id: 'tail', site: 'site-a', channel: 'events' })
    await c.waitFor(is('snapshot', 'tail'))
    const updates: { events: unknown[]; sample_rate: number }[] = []
    c.on((m) => is('update', 'tail')(m) && updates.push(m.data as never))
    for (let i = 0; i < 20; i++)
      await publish(
        'site-a',
        Array.from({ length: 10 }, () => ({})),
      )
    await new Promise((r) => setTimeout(r, 100))
    const delivered = updates.reduce((n, u) => n + u.events.length, 0)
    expect(delivered).toBeLessThan(100)
    expect(delivered).toBeGreaterThan(9)
    expect(updates.at(-1)!.sample_rate).toBeLessThan(1)
  })

  it('refuses a wrong key (4401), a late auth (4408) and a non-auth first message (4400)', async () => {
    const wrong = client('rk_nope')
    expect((await wrong.nextClose()).code).toBe(CLOSE.authFailed)
    const raw = new WebSocket(url, LIVE_SUBPROTOCOL)
    expect(await new Promise((r) => raw.once('close', (code) => r(code)))).toBe(CLOSE.authTimeout)
    const rude = new WebSocket(url, LIVE_SUBPROTOCOL)
    rude.once('open', () =>
      rude.send(JSON.stringify({ type: 'subscribe', id: 'x', site: 'site-a', channel: 'events' })),
    )
    expect(await new Promise((r) => rude.once('close', (code) => r(code)))).toBe(CLOSE.badFirstMessage)
  })

  it("answers another site's id with forbidden_site and bad messages with invalid_request", async () => {
    const c = client()
    await c.waitFor(is('ready'))
    c.subscribe({ id: 'other', site: 'site-b', channel: 'visitors' })
    const err = await c.waitFor(is('error', 'other'))
    expect(err.error).toMatchObject({ code: 'forbidden_site' })
    expect(err.error.docs).toMatch(/errors\.md#forbidden_site$/)
    c.subscribe({ id: 'bad', site: 'site-a', channel: 'nope' as never })
    expect((await c.waitFor(is('error', 'bad'))).error.code).toBe('invalid_request')
  })

  it('limits connections and subscriptions per key', async () => {
    await live.close()
    await new Promise((r) => server.close(r))
    await start({ maxConnectionsPerKey: 2, maxSubscriptionsPerKey: 3 })
    const a = client()
    const b = client()
    await Promise.all([a.waitFor(is('ready')), b.waitFor(is('ready'))])
    expect((await client().nextClose()).code).toBe(CLOSE.tooManyConnections)
    expect(live.connections()).toBe(2)
    await client(KEY_B).waitFor(is('ready')) // another key has its own budget
    for (const id of ['1', '2', '3']) a.subscribe({ id, site: 'site-a', channel: 'events' })
    await a.waitFor(is('snapshot', '3'))
    b.subscribe({ id: '4', site: 'site-a', channel: 'events' })
    expect((await b.waitFor(is('error', '4'))).error.code).toBe('rate_limited')
    a.unsubscribe('1')
    b.subscribe({ id: '5', site: 'site-a', channel: 'events' })
    await b.waitFor(is('snapshot', '5'))
  })

  it('closes a consumer that stops reading with 4413 instead of buffering for it', async () => {
    await live.close()
    await new Promise((r) => server.close(r))
    await start({ maxBufferedBytes: 64 * 1024, maxEventsPerS: 1_000_000 })
    const raw = new WebSocket(url, [LIVE_SUBPROTOCOL, KEY_A])
    await new Promise((r) => raw.once('message', r))
    raw.send(JSON.stringify({ type: 'subscribe', id: 't', site: 'site-a', channel: 'events' }))
    await new Promise((r) => raw.once('message', r))
    const closed = new Promise<number>((r) => raw.once('close', (code) => r(code)))
    ;(raw as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause()
    const big = { blob: 'x'.repeat(16 * 1024) }
    for (let i = 0; i < 2_000 && live.connections() > 0; i++) {
      await publish(
        'site-a',
        Array.from({ length: 10 }, () => ({ properties: big })),
      )
      await new Promise((r) => setImmediate(r))
    }
    expect(live.connections()).toBe(0)
    ;(raw as unknown as { _socket: { resume(): void } })._socket.resume()
    expect(await closed).toBe(CLOSE.slowConsumer)
  })

  it('tells clients to reconnect (1012) on shutdown', async () => {
    const c = client()
    await c.waitFor(is('ready'))
    const closed = c.nextClose()
    await live.close()
    expect((await closed).code).toBe(CLOSE.serviceRestart)
  })

  it('reconnects with backoff and subscribes again, sending the last watermark as since', async () => {
    // The real `ws` client, recording what the LiveClient sends.
    const sent: Record<string, unknown>[] = []
    class Recording extends WebSocket {
      override send(data: unknown, ...rest: unknown[]): void {
        sent.push(JSON.parse(String(data)))
        ;(super.send as (...a: unknown[]) => void)(data, ...rest)
      }
    }
    const c = client(KEY_A, {
      reconnect: true,
      backoff: { initialMs: 50, maxMs: 200 },
      WebSocket: Recording as never,
    })
    await c.waitFor(is('ready'))
    c.subscribe({ id: 'v', site: 'site-a', channel: 'visitors' })
    const first = await c.waitFor(is('snapshot', 'v'))
    expect(first.watermark).toMatch(/^[0-9a-f]{12}:0$/)
    expect(c.lastWatermark('v')).toBe(first.watermark)
    expect(sent.find((m) => m.type === 'subscribe')).not.toHaveProperty('since')
    const port = (server.address() as AddressInfo).port
    await live.close()
    await new Promise((r) => server.close(r))
    server = createServer()
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r))
    live = attachLive(server, {
      keys: staticReadKeys({ read_keys: [{ key: KEY_A, sites: ['site-a'] }] }),
      pubsub,
      watermark: insertWatermark(),
    })
    await c.waitFor(is('snapshot', 'v'), 5_000)
    expect(sent.filter((m) => m.type === 'subscribe').at(-1)).toMatchObject({
      id: 'v',
      since: first.watermark,
    })
  })
})
