import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  checkSiteQuota,
  connectRedis,
  DedupEpochChangedError,
  dedupKey,
  recordSource,
  redisCache,
  redisCounters,
  redisDedup,
  redisPubSub,
} from '../src/index.ts'
import {
  type PrivateRedis,
  redisRequired,
  redisServerInstalled,
  startPrivateRedis,
} from '../src/testing/private-redis.ts'

const src = (offset: number) => recordSource('events.v1', 0, offset)

async function until(ok: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await ok().catch(() => false)) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('condition not met in time')
}

// kill -9 of a private redis-server without persistence, then a restart on the same port:
// what each adapter does while it is gone and after it is back.
describe.skipIf(!redisRequired && !redisServerInstalled())('redis adapters across a Redis restart', () => {
  let server: PrivateRedis
  let client: Redis
  beforeAll(async () => {
    server = await startPrivateRedis()
    client = await connectRedis(server.url, { commandTimeoutMs: 500 })
  })
  afterAll(async () => {
    client?.disconnect()
    await server?.stop()
  })
  const ready = () => until(async () => client.status === 'ready' && (await client.ping()) === 'PONG')

  it('dedup fails closed while Redis is down, then reports the lost memory as an epoch change', async () => {
    const dedup = redisDedup(client, { prefix: 'restart:' })
    const before = await dedup.epoch()
    const loaded = [dedupKey('s', 'a'), dedupKey('s', 'b')]
    await dedup.claim(loaded.map((key) => ({ key, source: src(1) })))
    await dedup.remember(loaded)

    await server.kill()
    const started = Date.now()
    await expect(dedup.claim([{ key: dedupKey('s', 'c'), source: src(2) }])).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(2_000)

    await server.start()
    await ready()
    // The restarted Redis is empty: a claim trusted now would call `a` fresh and load it twice.
    await expect(dedup.claim(loaded.map((key) => ({ key, source: src(9) })))).rejects.toBeInstanceOf(
      DedupEpochChangedError,
    )
    const after = await dedup.epoch()
    expect(after).not.toBe(before)
    // The writer refills from ClickHouse here (remember), then the copies are duplicates again.
    await dedup.remember(loaded)
    expect((await dedup.claim(loaded.map((key) => ({ key, source: src(9) })))).size).toBe(0)
  })

  it('quota fails open, cache degrades to misses, both recover without a new client', async () => {
    const counters = redisCounters(client, { prefix: 'restart-q:' })
    const cache = redisCache(client, { prefix: 'restart-c:' })
    await cache.set('s', 'k', 'v', 60_000)
    await server.kill()
    expect(await checkSiteQuota(counters, { siteId: 's', eventsPerMinute: 1, cost: 10 })).toMatchObject({
      allowed: true,
      accepted: 10,
      degraded: true,
    })
    expect(await cache.get('s', 'k')).toBeUndefined()
    await expect(cache.set('s', 'k', 'v', 60_000)).resolves.toBeUndefined()
    await server.start()
    await ready()
    expect(await checkSiteQuota(counters, { siteId: 's', eventsPerMinute: 5, cost: 10 })).toMatchObject({
      accepted: 5,
      degraded: false,
    })
    await cache.set('s', 'k', 'again', 60_000)
    expect(await cache.get('s', 'k')).toBe('again')
  })

  it('pub/sub re-subscribes after the restart and tells the subscriber to catch up', async () => {
    const bus = redisPubSub(client, { prefix: 'restart-b:' })
    const got: string[] = []
    let readyCalls = 0
    await bus.subscribe('config', (m) => got.push(m), { onReady: () => readyCalls++ })
    await server.kill()
    await server.start()
    await ready()
    await until(async () => readyCalls >= 2)
    await until(async () => (await bus.publish('config', 'changed')) === 1)
    await until(async () => got.includes('changed'))
    await bus.close()
  })
})
