// The writer's dedup store, chosen from config: in memory (embedded) or Redis (cluster),
// with an exact local filter in front of Redis so a replay of loaded keys costs no round trip.
import { connectRedis, type DedupStore, memoryDedup, redisDedup, withLocalFilter } from '@sightline/state'

export type DedupConfig = { kind: 'memory' } | { kind: 'redis'; url: string; prefix?: string }

export interface OpenedDedup {
  store: DedupStore
  close(): Promise<void>
}

export async function openDedup(config: DedupConfig = { kind: 'memory' }): Promise<OpenedDedup> {
  if (config.kind === 'memory') return { store: memoryDedup(), close: async () => undefined }
  const client = await connectRedis(config.url)
  return {
    store: withLocalFilter(redisDedup(client, config.prefix ? { prefix: config.prefix } : {})),
    close: async () => {
      client.disconnect()
    },
  }
}
