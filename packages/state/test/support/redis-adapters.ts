import type { Redis } from 'ioredis'
import { redisCache, redisCounters, redisDedup, redisPubSub, redisUniqueCounter } from '../../src/index.ts'
import { uniquePrefix } from '../../src/testing/private-redis.ts'
import type { MakeDedup } from '../contract/dedup.ts'
import type { StateAdapters } from '../contract/state.ts'

/** Every Redis adapter on one client, each call under a fresh prefix; `prefixes` lists them for clean-up. */
export function redisAdapters(client: () => Redis, prefixes: string[]): StateAdapters & { dedup: MakeDedup } {
  const fresh = (name: string) => {
    const prefix = uniquePrefix(name)
    prefixes.push(prefix)
    return prefix
  }
  return {
    dedup: async (o) => redisDedup(client(), { prefix: fresh('dedup'), ...o }),
    counters: async () => redisCounters(client(), { prefix: fresh('rate') }),
    cache: async () => redisCache(client(), { prefix: fresh('cache') }),
    pubsub: async () => redisPubSub(client(), { prefix: fresh('bus') }),
    unique: async () => redisUniqueCounter(client(), { prefix: fresh('hll') }),
  }
}
