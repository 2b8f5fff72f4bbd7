import type { Redis } from 'ioredis'
import {
  type DedupClaim,
  DedupEpochChangedError,
  type DedupStore,
  LOADED_MARK,
  splitDedupKey,
} from '../dedup-port.ts'
import { checkPrefix, dedupEpochKey, dedupKeyPattern, dedupRedisKey } from './keys.ts'
import { execPipeline, scanCount } from './pipeline.ts'

export interface RedisDedupOptions {
  /** Key prefix shared by every key this store writes (default `sl:`). */
  prefix?: string
  /** How long a mark lives (default 24 h): the dedup window. */
  windowMs?: number
}

/**
 * Dedup marks in Redis: one string key per (site, message_id) holding the claiming record's
 * source, or `+` once loaded, with the window as TTL. A claim is `SET … NX GET` (Redis ≥ 7.0:
 * claim and read the previous holder in one command), all claims of a batch in one pipeline
 * that ends with a read of the epoch marker: the reply order on one connection guarantees the
 * claims ran on the server that still held that epoch, so a claim that landed on a restarted,
 * empty Redis is reported as `DedupEpochChangedError` instead of being trusted.
 */
export function redisDedup(client: Redis, options: RedisDedupOptions = {}): DedupStore {
  const prefix = checkPrefix(options.prefix ?? 'sl:')
  const windowMs = options.windowMs ?? 24 * 3600 * 1000
  const epochKey = dedupEpochKey(prefix)
  let lastEpoch: string | undefined

  function redisKey(key: string): string {
    const { siteId, messageId } = splitDedupKey(key)
    return dedupRedisKey(prefix, siteId, messageId)
  }

  return {
    async epoch() {
      const existing = await client.get(epochKey)
      if (existing !== null) {
        lastEpoch = existing
        return existing
      }
      // First writer after an empty start names the epoch; a racing one reads the winner's.
      const proposed = crypto.randomUUID()
      const previous = await client.set(epochKey, proposed, 'NX', 'GET')
      lastEpoch = previous ?? proposed
      return lastEpoch
    },
    async claim(entries: readonly DedupClaim[]) {
      if (entries.length === 0) return new Set()
      const pipeline = client.pipeline()
      for (const { key, source } of entries) pipeline.set(redisKey(key), source, 'PX', windowMs, 'NX', 'GET')
      pipeline.get(epochKey)
      const replies = await execPipeline<string | null>(pipeline)
      const epochNow = replies.at(-1)!
      if (lastEpoch === undefined || epochNow !== lastEpoch)
        throw new DedupEpochChangedError(lastEpoch, epochNow)
      const fresh = new Set<string>()
      entries.forEach(({ key, source }, i) => {
        const holder = replies[i]
        if (holder === null || holder === source) fresh.add(key)
      })
      return fresh
    },
    async remember(keys) {
      if (keys.length === 0) return
      const pipeline = client.pipeline()
      for (const key of keys) pipeline.set(redisKey(key), LOADED_MARK, 'PX', windowMs)
      await execPipeline(pipeline)
    },
    /** A SCAN over the prefix: O(keys), for metrics and tests, not for the hot path. */
    async size() {
      return scanCount(client, dedupKeyPattern(prefix))
    },
  }
}
