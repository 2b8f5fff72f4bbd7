import type { Redis } from 'ioredis'
import { type RateCounters, windowIndex } from '../counters-port.ts'
import { checkPrefix, siteKey } from './keys.ts'
import { execPipeline } from './pipeline.ts'

/**
 * Window counters as plain integers, one key per site, counter and window, living two
 * windows (the sliding estimate reads the previous one). Both windows carry the site's hash
 * tag, so the MULTI below is one slot on Redis Cluster. Errors are thrown: the caller picks
 * fail-open or fail-closed (the quota check fails open).
 */
export function redisCounters(client: Redis, options: { prefix?: string } = {}): RateCounters {
  const prefix = checkPrefix(options.prefix ?? 'sl:')
  function keys(siteId: string, name: string, windowMs: number, now: number) {
    const index = windowIndex(now, windowMs)
    const key = (i: number) => siteKey(prefix, siteId, 'r', `${name}:${windowMs}:${i}`)
    return { current: key(index), previous: key(index - 1), windowStart: index * windowMs }
  }
  return {
    async add(siteId, name, windowMs, amount, now = Date.now()) {
      const k = keys(siteId, name, windowMs, now)
      const [current, , previous] = await execPipeline<number | string | null>(
        client
          .multi()
          .incrby(k.current, amount)
          .pexpire(k.current, 2 * windowMs)
          .get(k.previous),
      )
      return {
        current: Number(current),
        previous: Number(previous ?? 0),
        windowStart: k.windowStart,
        windowMs,
      }
    },
    async read(siteId, name, windowMs, now = Date.now()) {
      const k = keys(siteId, name, windowMs, now)
      const [current, previous] = await client.mget(k.current, k.previous)
      return {
        current: Number(current ?? 0),
        previous: Number(previous ?? 0),
        windowStart: k.windowStart,
        windowMs,
      }
    },
  }
}
