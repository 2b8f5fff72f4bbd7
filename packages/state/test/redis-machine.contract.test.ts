import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectRedis } from '../src/index.ts'
import { prefixPattern } from '../src/redis/keys.ts'
import { deleteMatching } from '../src/redis/pipeline.ts'
import { machineRedisUrl, redisRequired } from '../src/testing/private-redis.ts'
import { dedupContract } from './contract/dedup.ts'
import { stateContract } from './contract/state.ts'
import { redisAdapters } from './support/redis-adapters.ts'

// The machine's own Redis (shared: unique prefixes, deleted afterwards). Under CI an
// unreachable one fails the suite; elsewhere the suite says why it did not run.
async function machineRedisAnswers(): Promise<boolean> {
  try {
    const probe = await connectRedis(machineRedisUrl, { redis: { retryStrategy: () => null } })
    probe.disconnect()
    return true
  } catch {
    return false
  }
}
const reachable = await machineRedisAnswers()

describe.skipIf(!redisRequired && !reachable)(
  `redis adapters on the machine's Redis (${machineRedisUrl})`,
  () => {
    let client: Redis
    const prefixes: string[] = []
    beforeAll(async () => {
      client = await connectRedis(machineRedisUrl)
    })
    afterAll(async () => {
      for (const prefix of prefixes) await deleteMatching(client, prefixPattern(prefix))
      client?.disconnect()
    })
    it('is a Redis that has SET … NX GET (7.0 or newer)', async () => {
      const info = await client.info('server')
      const major = Number(/redis_version:(\d+)/.exec(info)?.[1])
      expect(major).toBeGreaterThanOrEqual(7)
    })
    const adapters = redisAdapters(() => client, prefixes)
    dedupContract(adapters.dedup)
    stateContract(adapters)
  },
)
