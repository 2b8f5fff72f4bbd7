import type { Redis } from 'ioredis'
import type { UniqueCounter } from '../visitors-port.ts'
import { checkPrefix, siteKey } from './keys.ts'
import { execPipeline } from './pipeline.ts'

/** HyperLogLogs tagged by site: PFCOUNT over several of a site's sets is one slot on Cluster. */
export function redisUniqueCounter(client: Redis, options: { prefix?: string } = {}): UniqueCounter {
  const prefix = checkPrefix(options.prefix ?? 'sl:')
  const key = (siteId: string, name: string) => siteKey(prefix, siteId, 'u', name)
  return {
    async add(siteId, name, members, ttlMs) {
      const k = key(siteId, name)
      await execPipeline(
        client
          .multi()
          .pfadd(k, ...members)
          .pexpire(k, ttlMs),
      )
    },
    async count(siteId, names) {
      if (names.length === 0) return 0
      return client.pfcount(...names.map((n) => key(siteId, n)))
    },
  }
}
