import type { Redis } from 'ioredis'
import type { Cache } from '../cache-port.ts'
import { checkPrefix, siteKey } from './keys.ts'

export interface RedisCacheOptions {
  prefix?: string
  /** Told about every swallowed error (the cache fails open), e.g. to count them. */
  onError?: (err: unknown) => void
}

/** Cache entries as strings with PX expiry, tagged by site. Every error degrades to a miss. */
export function redisCache(client: Redis, options: RedisCacheOptions = {}): Cache {
  const prefix = checkPrefix(options.prefix ?? 'sl:')
  const report = options.onError ?? (() => {})
  const key = (siteId: string, name: string) => siteKey(prefix, siteId, 'c', name)
  return {
    async get(siteId, name) {
      try {
        return (await client.get(key(siteId, name))) ?? undefined
      } catch (err) {
        report(err)
        return undefined
      }
    },
    async set(siteId, name, value, ttlMs) {
      try {
        await client.set(key(siteId, name), value, 'PX', Math.max(1, Math.round(ttlMs)))
      } catch (err) {
        report(err)
      }
    },
    async delete(siteId, name) {
      try {
        await client.unlink(key(siteId, name))
      } catch (err) {
        report(err)
      }
    },
  }
}
