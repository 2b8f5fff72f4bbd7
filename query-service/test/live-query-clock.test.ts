import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { LiveClient, type ServerMessage } from '@sightline/live-client'
import { memoryPubSub } from '@sightline/state'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { insertWatermark } from '../src/adapters/insert-watermark.ts'
import { KeyInFlight } from '../src/http/key-concurrency.ts'
import { attachLive, type LiveEndpoint } from '../src/live/server.ts'
import { FIXTURE_FROM, FIXTURE_TO } from './fixture.ts'
import { manualTimers } from './manual-timers.ts'
import { KEY_A, keys, openTestEnv, type TestEnv } from './support.ts'

// Live query subscriptions whose range moves with the clock, end to end: a real WebSocket,
// the real kinds on the embedded warehouse holding the hand-worked fixture (site_a's events
// end on 2024-01-04), and a manual clock for the query runs, so an hour passes at once and
// every claim about *when* something re-runs is exact. No data is committed in these tests:
// every update below comes from the clock alone.
let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv()
})
afterAll(async () => {
  await env?.close()
})

const at = (iso: string) => new Date(iso).getTime()
let server: Server
let live: LiveEndpoint
let clock: ReturnType<typeof manualTimers>
let runs: Map<string, number>
const clients: LiveClient[] = []

/** `zones`: the sites' time zone settings (none known by default: named ranges count in UTC). */
async function start(nowIso: string, zones: Record<string, string> = {}) {
  clock = manualTimers(at(nowIso))
  runs = new Map()
  server = createServer((_req, res) => res.writeHead(404).end())
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  live = attachLive(server, {
    keys,
    pubsub: memoryPubSub(),
    watermark: insertWatermark(),
    query: {
      warehouse: env.warehouse,
      inFlight: new KeyInFlight({ maxInFlight: 4, retryAfterS: 1 }),
      siteTimeZone: (site) => zones[site],
      onRun: (_site, kind) => runs.set(kind, (runs.get(kind) ?? 0) + 1),
    },
    timers: clock.timers,
  })
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await live.close()
  // Shutdown leaves no query timer behind.
  expect(clock.pending()).toEqual([])
  await new Promise((r) => server.close(r))
})

/** A signed-in client and every message it receives, in order. */
async function client() {
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/live`
  const c = new LiveClient({ url, key: KEY_A, WebSocket: WebSocket as never, reconnect: false })
  clients.push(c)
  const got: ServerMessage[] = []
  c.on((m) => got.push(m))
  await c.waitFor((m) => m.type === 'ready')
  const of = (id: string) => got.filter((m) => (m as { id?: string }).id === id)
  return { c, of }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Until `check` holds (real time: a warehouse run and a WebSocket hop), at most 10 s. */
async function until(check: () => boolean, what: string) {
  for (let waited = 0; !check(); waited += 10) {
    if (waited > 10_000) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}
/**
 * Moves the clock to `iso` and waits for the clock runs due there to end: a group arms its
 * next clock run only when a run ends, so once every group (all of them move with the clock
 * where this is used) waits for an instant after `iso`, each has answered, and pushed if its
 * answer changed.
 */
async function clockRunAt(iso: string) {
  clock.advanceTo(at(iso))
  await until(
    () => live.queryClockTimers() === live.queryGroups() && clock.pending().every((t) => t > at(iso)),
    `the clock runs at ${iso} to end`,
  )
  // Its update, if any, left on the same turn: a moment for the socket, so that a check that
  // nothing arrived is not made before something could have.
  await sleep(50)
}

type Stats = { events: number; pageviews: number; visitors: number }
type Trends = { buckets: { bucket: string; count: number }[] }

describe('live query: ranges that move with the clock', () => {
  it('pushes when an event leaves a trailing window, with no new data, and not before', async () => {
    // `stats` with no range: the 7 days before now. At 2024-01-10T23:28:50Z that is
    // [2024-01-03T23:28:50Z, now): alice's 23:30 page view, bob's 23:59:59.999 purchase and
    // dave's 01-04 page view (bots excluded).
    await start('2024-01-10T23:28:50Z')
    const { c, of } = await client()
    c.subscribe({ id: 'week', site: 'site_a', channel: 'query', spec: { kind: 'stats' } })
    await until(() => of('week').length === 1, 'the snapshot')
    expect(of('week')[0]).toMatchObject({
      type: 'snapshot',
      data: { events: 3, pageviews: 2, visitors: 3 },
    })
    // The next clock run: one second past the next whole minute (clock-runs.ts says why).
    expect(clock.pending()).toEqual([at('2024-01-10T23:29:01Z')])
    await clockRunAt('2024-01-10T23:29:01Z')
    expect(runs.get('stats')).toBe(2)
    expect(of('week')).toHaveLength(1)

    // Alice's page view (01-03 23:30:00.000) leaves the window once now is past 23:30:00.000:
    // the run at 23:30:01 is the first to show it. No commit at all.
    await clockRunAt('2024-01-10T23:30:01Z')
    expect(runs.get('stats')).toBe(3)
    await until(() => of('week').length === 2, 'the update')
    const update = of('week')[1] as unknown as { type: string; data: Stats; watermark: string }
    expect(update).toMatchObject({ type: 'update', data: { events: 2, pageviews: 1, visitors: 2 } })
    // Nothing committed: the update carries the snapshot's watermark.
    expect(update.watermark).toBe((of('week')[0] as { watermark: string }).watermark)
  })

  it('rolls a day over at midnight in the spec’s zone: New York at 05:00Z, UTC at 00:00Z', async () => {
    // Day buckets from a fixed start until now: "this week so far", one bucket per local day.
    await start('2024-01-10T23:59:30Z')
    const { c, of } = await client()
    const days = (tz: string, from: string) => ({ kind: 'trends', interval: 'day', tz, from })
    c.subscribe({
      id: 'ny',
      site: 'site_a',
      channel: 'query',
      spec: days('America/New_York', '2024-01-08T05:00:00Z'),
    })
    c.subscribe({ id: 'utc', site: 'site_a', channel: 'query', spec: days('UTC', '2024-01-08T00:00:00Z') })
    await until(() => of('ny').length === 1 && of('utc').length === 1, 'both snapshots')
    const buckets = (m: ServerMessage | undefined) =>
      (m as unknown as { data: Trends }).data.buckets.map((b) => b.bucket)
    // 23:59:30Z is 18:59:30 in New York (UTC−5 in January): both zones are on January 10.
    expect(buckets(of('ny')[0]).at(-1)).toBe('2024-01-10T05:00:00.000Z')
    expect(buckets(of('utc')[0]).at(-1)).toBe('2024-01-10T00:00:00.000Z')

    // The run after UTC midnight: a new UTC day, still January 10 in New York.
    await clockRunAt('2024-01-11T00:00:01Z')
    await until(() => of('utc').length === 2, 'the UTC update')
    expect(of('utc')[1]?.type).toBe('update')
    expect(buckets(of('utc')[1]).at(-1)).toBe('2024-01-11T00:00:00.000Z')
    expect(of('ny')).toHaveLength(1)

    // The minute before New York's midnight: nothing new for either.
    await clockRunAt('2024-01-11T04:59:01Z')
    expect(of('ny')).toHaveLength(1)
    expect(of('utc')).toHaveLength(2)

    // The run after New York's midnight: its January 11 begins.
    await clockRunAt('2024-01-11T05:00:01Z')
    await until(() => of('ny').length === 2, 'the New York update')
    expect(of('ny')[1]?.type).toBe('update')
    expect(buckets(of('ny')[1])).toEqual([
      '2024-01-08T05:00:00.000Z',
      '2024-01-09T05:00:00.000Z',
      '2024-01-10T05:00:00.000Z',
      '2024-01-11T05:00:00.000Z',
    ])
    expect(of('utc')).toHaveLength(2)
  })

  it('rolls `range: "today"` over at the site’s midnight (New York: 05:00Z), as one group', async () => {
    // site_a reports in New York (UTC−5 in January). At 2024-01-03T23:59:30Z its today began
    // at 05:00Z: alice's 23:30 page view is in it, bob's 23:59:59.999 purchase not yet.
    await start('2024-01-03T23:59:30Z', { site_a: 'America/New_York' })
    const { c, of } = await client()
    const spec = { kind: 'stats', range: 'today' }
    c.subscribe({ id: 'today', site: 'site_a', channel: 'query', spec })
    await until(() => of('today').length === 1, 'the snapshot')
    expect(of('today')[0]).toMatchObject({
      type: 'snapshot',
      data: { from: '2024-01-03T05:00:00.000Z', events: 1, pageviews: 1, visitors: 1 },
    })

    // UTC midnight is not New York's: the same day, now also holding bob's purchase and
    // dave's 00:00:00.000 page view (today so far ends now).
    await clockRunAt('2024-01-04T00:00:01Z')
    await until(() => of('today').length === 2, 'the update')
    expect(of('today')[1]).toMatchObject({
      type: 'update',
      data: { from: '2024-01-03T05:00:00.000Z', events: 3, pageviews: 2, visitors: 3 },
    })
    await clockRunAt('2024-01-04T04:59:01Z')
    expect(of('today')).toHaveLength(2)

    // The first run after New York's midnight: today is 4 January, with nothing in it yet.
    await clockRunAt('2024-01-04T05:00:01Z')
    await until(() => of('today').length === 3, 'the rollover')
    expect(of('today')[2]).toMatchObject({
      type: 'update',
      data: {
        from: '2024-01-04T05:00:00.000Z',
        to: '2024-01-04T05:00:01.000Z',
        events: 0,
        pageviews: 0,
        visitors: 0,
      },
    })
    // Still one group, and the watermark of the snapshot: the clock alone did this.
    expect(live.queryGroups()).toBe(1)
    expect((of('today')[2] as { watermark: string }).watermark).toBe(
      (of('today')[0] as { watermark: string }).watermark,
    )
  })

  it('never re-runs an absolute range on the clock, and resumes it by watermark', async () => {
    await start('2024-01-10T12:00:00Z')
    const { c, of } = await client()
    const spec = { kind: 'stats', from: FIXTURE_FROM, to: FIXTURE_TO }
    c.subscribe({ id: 'fixed', site: 'site_a', channel: 'query', spec })
    await until(() => of('fixed').length === 1, 'the snapshot')
    expect(live.queryGroups()).toBe(1)
    expect(live.queryClockTimers()).toBe(0)
    expect(clock.pending()).toEqual([])
    clock.advanceTo(at('2024-01-11T12:00:00Z'))
    await sleep(100)
    expect(runs.get('stats')).toBe(1)
    expect(of('fixed')).toHaveLength(1)

    // A resume with the current watermark is told "unchanged", as before.
    const watermark = (of('fixed')[0] as { watermark: string }).watermark
    const again = await client()
    again.c.subscribe({ id: 'fixed', site: 'site_a', channel: 'query', spec, since: watermark })
    await until(() => again.of('fixed').length === 1, 'the resumed snapshot')
    expect(again.of('fixed')[0]).toMatchObject({ type: 'snapshot', unchanged: true })
  })

  it('sends a moving range a full snapshot on resume, even with the current watermark', async () => {
    // The watermark does not move on a clock run, so "unchanged" would keep an older answer.
    await start('2024-01-10T23:29:10Z')
    const first = await client()
    first.c.subscribe({ id: 'week', site: 'site_a', channel: 'query', spec: { kind: 'stats' } })
    await until(() => first.of('week').length === 1, 'the snapshot')
    const watermark = (first.of('week')[0] as { watermark: string }).watermark
    await clockRunAt('2024-01-10T23:30:01Z')
    await until(() => first.of('week').length === 2, 'the update')

    const again = await client()
    again.c.subscribe({
      id: 'week',
      site: 'site_a',
      channel: 'query',
      spec: { kind: 'stats' },
      since: watermark,
    })
    await until(() => again.of('week').length === 1, 'the resumed snapshot')
    expect(again.of('week')[0]).toMatchObject({ type: 'snapshot', watermark, data: { events: 2 } })
    // Served from the group's current answer: no extra run for the returning subscriber.
    expect(runs.get('stats')).toBe(2)
  })

  it('keeps one clock timer per spec, shared by its subscribers, gone with the last of them', async () => {
    await start('2024-01-10T12:00:30Z')
    const a = await client()
    const b = await client()
    for (const { c } of [a, b])
      c.subscribe({ id: 'week', site: 'site_a', channel: 'query', spec: { kind: 'stats' } })
    await until(() => a.of('week').length === 1 && b.of('week').length === 1, 'both snapshots')
    expect(live.queryGroups()).toBe(1)
    expect(clock.pending()).toEqual([at('2024-01-10T12:01:01Z')])
    await clockRunAt('2024-01-10T12:01:01Z')
    expect(runs.get('stats')).toBe(2) // one run a minute for both

    a.c.unsubscribe('week')
    await sleep(50)
    expect(live.queryClockTimers()).toBe(1)
    b.c.unsubscribe('week')
    await until(() => live.queryGroups() === 0, 'the group to go')
    expect(live.queryClockTimers()).toBe(0)
    expect(clock.pending()).toEqual([])
    clock.advanceTo(at('2024-01-10T13:00:00Z'))
    await sleep(50)
    expect(runs.get('stats')).toBe(2)
  })
})
