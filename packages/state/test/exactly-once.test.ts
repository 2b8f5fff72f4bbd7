import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  connectRedis,
  type DedupStore,
  dedupKey,
  recordSource,
  redisDedup,
  withLocalFilter,
} from '../src/index.ts'
import {
  type PrivateRedis,
  redisRequired,
  redisServerInstalled,
  startPrivateRedis,
} from '../src/testing/private-redis.ts'

// The writer's protocol (epoch → refill → claim → insert → remember → commit) on the real
// Redis, driven the way the pipeline fails: two writers on two partitions carrying the same
// message_ids (client retries through another bridge), a writer dying between claim and
// insert, and Redis killed -9 and restarted empty mid-stream. The "warehouse" counts inserts
// per key: every id must be there exactly once.

const EVENTS_PER_RECORD = 50
const RECORDS = 40

interface Rec {
  partition: number
  offset: number
  keys: string[]
}

function streams(): Rec[][] {
  const ids = Array.from({ length: RECORDS * EVENTS_PER_RECORD }, (_, i) =>
    dedupKey(`site-${i % 3}`, `m${i}`),
  )
  const p0: Rec[] = []
  const p1: Rec[] = []
  for (let r = 0; r < RECORDS; r++) {
    const keys = ids.slice(r * EVENTS_PER_RECORD, (r + 1) * EVENTS_PER_RECORD)
    p0.push({ partition: 0, offset: r, keys })
    // A third of each record arrives again through partition 1, a few records later.
    p1.push({ partition: 1, offset: r, keys: keys.filter((_, i) => i % 3 === 0) })
  }
  return [p0, p1]
}

function writer(dedup: DedupStore, warehouse: Map<string, number>, crashOnce: { at: string; done: boolean }) {
  let knownEpoch: string | undefined
  return async function handle(rec: Rec): Promise<void> {
    const epoch = await dedup.epoch()
    if (epoch !== knownEpoch) {
      await dedup.remember([...warehouse.keys()])
      knownEpoch = epoch
    }
    const fresh = await dedup.claim(
      rec.keys.map((key) => ({ key, source: recordSource('events.v1', rec.partition, rec.offset) })),
    )
    if (!crashOnce.done && crashOnce.at === `${rec.partition}:${rec.offset}`) {
      crashOnce.done = true
      throw new Error('writer killed between claim and insert')
    }
    const loaded = rec.keys.filter((k) => fresh.has(k))
    for (const key of loaded) warehouse.set(key, (warehouse.get(key) ?? 0) + 1)
    await dedup.remember(loaded)
  }
}

/** Delivers records in order, redelivering a record until its handler succeeds (uncommitted offset). */
async function consume(
  records: Rec[],
  handle: (r: Rec) => Promise<void>,
  onRecord: (i: number) => Promise<void>,
) {
  for (let i = 0; i < records.length; i++) {
    await onRecord(i)
    for (let attempt = 0; ; attempt++) {
      try {
        await handle(records[i]!)
        break
      } catch (err) {
        if (attempt > 200) throw err
        await new Promise((r) => setTimeout(r, 20))
      }
    }
  }
}

describe.skipIf(!redisRequired && !redisServerInstalled())(
  'exactly once through the dedup protocol on Redis',
  () => {
    let server: PrivateRedis
    const clients: Redis[] = []
    beforeAll(async () => {
      server = await startPrivateRedis()
    })
    afterAll(async () => {
      for (const c of clients) c.disconnect()
      await server?.stop()
    })

    it('loads every id once across two writers, a crash between claim and insert and a Redis restart', async () => {
      const [p0, p1] = streams()
      const warehouse = new Map<string, number>()
      // Two writer processes: their own connections and local filters, one Redis.
      const stores = await Promise.all(
        [0, 1].map(async () => {
          const client = await connectRedis(server.url, { commandTimeoutMs: 500 })
          clients.push(client)
          return withLocalFilter(redisDedup(client, { prefix: 'eo:' }))
        }),
      )
      const crash = { at: '0:7', done: false }
      let restarted = false
      const restartAt = async (i: number) => {
        if (i !== RECORDS / 2 || restarted) return
        restarted = true
        await server.kill()
        await server.start()
      }
      await Promise.all([
        consume(p0!, writer(stores[0]!, warehouse, crash), restartAt),
        consume(p1!, writer(stores[1]!, warehouse, crash), async () => {}),
      ])
      expect(crash.done).toBe(true)
      expect(restarted).toBe(true)
      const doubled = [...warehouse].filter(([, n]) => n > 1)
      expect(doubled).toEqual([])
      expect(warehouse.size).toBe(RECORDS * EVENTS_PER_RECORD)
    })
  },
)
