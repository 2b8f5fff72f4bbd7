// Bytes per dedup key in Redis: the claim (holding its record's source) and the loaded mark,
// against a baseline in the same run — a bare `SET <message_id> 1` without TTL or prefix.
// Two readings per state: MEMORY USAGE over a sample of keys (the key's own allocation) and
// the used_memory delta over all keys (adds the keyspace and expiry dictionary entries).
// Runs on a private redis-server (nothing on disk), or on SIGHTLINE_REDIS_URL with a unique
// prefix that it deletes afterwards.
//
//   node scripts/run.mjs exec tsx bench/redis-dedup-memory.ts   # ~5 s
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connectRedis, dedupKey, recordSource, redisDedup } from '@sightline/state'
import { startPrivateRedis } from '@sightline/state/testing'
import type { Redis } from 'ioredis'

const KEYS = Number(process.env.KEYS ?? 100_000)
const SAMPLE = 2_000
const SITE = 'site_3f9a2c1b'
const BATCH = 5_000

async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory')
  return Number(/used_memory:(\d+)/.exec(info)![1])
}

async function sampleUsage(client: Redis, keys: string[]): Promise<number> {
  const pipeline = client.pipeline()
  for (const key of keys.slice(0, SAMPLE)) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')
  const replies = (await pipeline.exec())!.map(([, r]) => Number(r))
  return replies.reduce((a, b) => a + b, 0) / replies.length
}

async function scanKeys(client: Redis, pattern: string, limit: number): Promise<string[]> {
  const out: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = next
    out.push(...keys)
  } while (cursor !== '0' && out.length < limit)
  return out.slice(0, limit)
}

async function main(): Promise<void> {
  const external = process.env.SIGHTLINE_REDIS_URL
  const server = external ? undefined : await startPrivateRedis()
  const client = await connectRedis(external ?? server!.url, { commandTimeoutMs: 30_000 })
  const prefix = `slbench:${process.pid}:`
  try {
    const ids = Array.from({ length: KEYS }, () => crypto.randomUUID())
    const results: Record<string, { memoryUsage: number; usedMemoryDelta: number }> = {}

    // Baseline: the message_id alone as a key with a one-byte value, no TTL.
    let before = await usedMemory(client)
    const bareKeys = ids.map((id) => `${prefix}bare:${id}`)
    for (let i = 0; i < KEYS; i += BATCH) {
      const p = client.pipeline()
      for (const key of bareKeys.slice(i, i + BATCH)) p.set(key, '1')
      await p.exec()
    }
    results.baseline = {
      memoryUsage: await sampleUsage(client, bareKeys),
      usedMemoryDelta: ((await usedMemory(client)) - before) / KEYS,
    }

    const dedup = redisDedup(client, { prefix })
    await dedup.epoch()
    const keys = ids.map((id) => dedupKey(SITE, id))
    before = await usedMemory(client)
    for (let i = 0; i < KEYS; i += BATCH) {
      const slice = keys.slice(i, i + BATCH)
      // Realistic sources: 500 events per stream record, offsets in the millions.
      await dedup.claim(
        slice.map((key, j) => ({
          key,
          source: recordSource('events.v1', 3, 4_000_000 + Math.floor((i + j) / 500)),
        })),
      )
    }
    const claimedDelta = ((await usedMemory(client)) - before) / KEYS
    const redisKeys = await scanKeys(client, `${prefix}{*}d:*`, SAMPLE)
    results.claimed = { memoryUsage: await sampleUsage(client, redisKeys), usedMemoryDelta: claimedDelta }

    before = await usedMemory(client)
    for (let i = 0; i < KEYS; i += BATCH) await dedup.remember(keys.slice(i, i + BATCH))
    const loadedDelta = claimedDelta + ((await usedMemory(client)) - before) / KEYS
    results.loaded = { memoryUsage: await sampleUsage(client, redisKeys), usedMemoryDelta: loadedDelta }

    const info = await client.info('server')
    const report = {
      benchmark: 'redis-dedup-memory',
      date: new Date().toISOString(),
      redis: /redis_version:(\S+)/.exec(info)?.[1],
      keys: KEYS,
      sample: SAMPLE,
      exampleKey: redisKeys[0],
      bytesPerKey: results,
      ratioToBaseline: {
        claimed: results.claimed.usedMemoryDelta / results.baseline.usedMemoryDelta,
        loaded: results.loaded.usedMemoryDelta / results.baseline.usedMemoryDelta,
      },
    }
    const dir = join(import.meta.dirname, 'results')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'redis-dedup-memory.json'), `${JSON.stringify(report, null, 2)}\n`)
    console.log(JSON.stringify(report, null, 2))
  } finally {
    if (external) {
      let cursor = '0'
      do {
        const [next, found] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
        cursor = next
        if (found.length > 0) await client.unlink(...found)
      } while (cursor !== '0')
    }
    client.disconnect()
    await server?.stop()
  }
}

await main()
