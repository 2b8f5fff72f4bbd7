import { describe, expect, it } from 'vitest'
import {
  type Cache,
  channels,
  checkSiteQuota,
  fixedWindowCount,
  liveVisitors,
  type PubSub,
  type RateCounters,
  refundSiteQuota,
  slidingWindowCount,
  type UniqueCounter,
} from '../../src/index.ts'

export interface StateAdapters {
  counters(): Promise<RateCounters>
  cache(): Promise<Cache>
  pubsub(): Promise<PubSub>
  unique(): Promise<UniqueCounter>
}

const MINUTE = 60_000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** A window start far from the wall clock's boundaries, so tests never straddle one. */
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % MINUTE) + 10 * MINUTE

/** Counters, quota, cache, pub/sub and distinct counts: the same behaviour on every backend. */
export function stateContract(make: StateAdapters): void {
  describe('rate counters contract', () => {
    it('counts per site and window, and carries the previous window for the sliding estimate', async () => {
      const c = await make.counters()
      await c.add('a', 'events', MINUTE, 30, T0 + 1_000)
      const now = await c.add('a', 'events', MINUTE, 10, T0 + 2_000)
      expect(fixedWindowCount(now)).toBe(40)
      expect((await c.read('b', 'events', MINUTE, T0 + 2_000)).current).toBe(0)
      const next = await c.add('a', 'events', MINUTE, 6, T0 + MINUTE + 15_000)
      expect(next).toMatchObject({ current: 6, previous: 40, windowStart: T0 + MINUTE })
      // A quarter into the new window, three quarters of the old one still count.
      expect(slidingWindowCount(next, T0 + MINUTE + 15_000)).toBe(36)
      expect((await c.read('a', 'events', MINUTE, T0 + 3 * MINUTE)).current).toBe(0)
    })
    it('gives back with a negative amount', async () => {
      const c = await make.counters()
      await c.add('g', 'events', MINUTE, 5, T0)
      expect((await c.add('g', 'events', MINUTE, -2, T0)).current).toBe(3)
    })
  })

  describe('per-site quota over the counters', () => {
    it('accepts up to the limit, refuses the rest without charging the site for it', async () => {
      const c = await make.counters()
      const ask = (cost: number, now = T0 + 30_000) =>
        checkSiteQuota(c, { siteId: 'q', eventsPerMinute: 100, cost, now })
      expect(await ask(60)).toMatchObject({ allowed: true, accepted: 60, degraded: false })
      const partly = await ask(60)
      expect(partly).toMatchObject({ allowed: false, accepted: 40, used: 100 })
      expect(partly.retryAfterSeconds).toBe(30)
      expect(await ask(1)).toMatchObject({ allowed: false, accepted: 0 })
      // Only the accepted 100 were charged: half into the next minute half of them still count.
      expect(await ask(50, T0 + MINUTE + 30_000)).toMatchObject({ allowed: true, accepted: 50 })
      expect(await ask(1, T0 + MINUTE + 30_000)).toMatchObject({ allowed: false })
    })
    it('all or nothing: refuses a request that does not fit entirely and charges none of it', async () => {
      const c = await make.counters()
      const ask = (cost: number) =>
        checkSiteQuota(c, { siteId: 'w', eventsPerMinute: 100, cost, now: T0 + 30_000, allOrNothing: true })
      expect(await ask(70)).toMatchObject({ allowed: true, accepted: 70 })
      expect(await ask(40)).toMatchObject({ allowed: false, accepted: 0, used: 70, retryAfterSeconds: 30 })
      expect((await c.read('w', 'events', MINUTE, T0 + 30_000)).current).toBe(70)
      // What still fits is taken: the refusal above did not use up the site's room.
      expect(await ask(30)).toMatchObject({ allowed: true, accepted: 30 })
    })
    it('refunds what a check charged, and nothing for a check that charged nothing', async () => {
      const c = await make.counters()
      const now = T0 + 5_000
      const charged = await checkSiteQuota(c, { siteId: 'r', eventsPerMinute: 100, cost: 80, now })
      await refundSiteQuota(c, { siteId: 'r', decision: charged, now })
      expect((await c.read('r', 'events', MINUTE, now)).current).toBe(0)
      const free = await checkSiteQuota(c, { siteId: 'r', eventsPerMinute: 0, cost: 80, now })
      await refundSiteQuota(c, { siteId: 'r', decision: free, now })
      expect((await c.read('r', 'events', MINUTE, now)).current).toBe(0)
    })
    it('costs nothing for a site without a limit', async () => {
      const c = await make.counters()
      expect(
        await checkSiteQuota(c, { siteId: 'free', eventsPerMinute: undefined, cost: 1e6 }),
      ).toMatchObject({
        allowed: true,
      })
      expect((await c.read('free', 'events', MINUTE)).current).toBe(0)
    })
  })

  describe('cache contract', () => {
    it('returns what was set until its TTL, per site', async () => {
      const cache = await make.cache()
      await cache.set('s', 'q1', '{"rows":[1]}', 300)
      expect(await cache.get('s', 'q1')).toBe('{"rows":[1]}')
      expect(await cache.get('other', 'q1')).toBeUndefined()
      await cache.set('s', 'q2', 'x', 60_000)
      await cache.delete('s', 'q2')
      expect(await cache.get('s', 'q2')).toBeUndefined()
      await sleep(400)
      expect(await cache.get('s', 'q1')).toBeUndefined()
    })
  })

  describe('pub/sub contract', () => {
    it('delivers to every subscriber of a channel and none after unsubscribe', async () => {
      const bus = await make.pubsub()
      const got: string[] = []
      let ready = 0
      const a = await bus.subscribe(channels.live('s'), (m) => got.push(`a:${m}`), { onReady: () => ready++ })
      const b = await bus.subscribe(channels.live('s'), (m) => got.push(`b:${m}`))
      await bus.subscribe(channels.live('other'), (m) => got.push(`other:${m}`))
      expect(ready).toBe(1)
      await bus.publish(channels.live('s'), 'e1')
      await waitFor(() => got.length >= 2)
      expect(got.sort()).toEqual(['a:e1', 'b:e1'])
      await a.unsubscribe()
      await b.unsubscribe()
      expect(await bus.publish(channels.live('s'), 'e2')).toBe(0)
      await bus.close()
    })
  })

  describe('distinct counter contract', () => {
    it('counts distinct members across sets within HyperLogLog error, and expires them', async () => {
      const u = await make.unique()
      const ids = Array.from({ length: 2000 }, (_, i) => `visitor-${i}`)
      await u.add('s', 'm1', ids.slice(0, 1500), 60_000)
      await u.add('s', 'm2', ids.slice(1000), 60_000)
      const n = await u.count('s', ['m1', 'm2'])
      expect(Math.abs(n - 2000) / 2000).toBeLessThan(0.02)
      expect(await u.count('other', ['m1'])).toBe(0)
      await u.add('s', 'short', ['x'], 200)
      await sleep(300)
      expect(await u.count('s', ['short'])).toBe(0)
    })
    it('reports live visitors as the union of the last minutes', async () => {
      const live = liveVisitors(await make.unique(), { minutes: 5 })
      const now = Date.now()
      await live.seen('lv', ['a', 'b'], now - 6 * MINUTE)
      await live.seen('lv', ['b', 'c'], now - 2 * MINUTE)
      await live.seen('lv', ['c', 'd'], now)
      expect(await live.count('lv', now)).toBe(3)
    })
  })
}

async function waitFor(ok: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ok() && Date.now() < deadline) await sleep(10)
}
