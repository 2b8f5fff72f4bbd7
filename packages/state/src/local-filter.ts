import type { DedupClaim, DedupStore } from './dedup-port.ts'

export interface LocalFilterOptions {
  /** Loaded keys kept in process (default 200 000, ~30 MB). */
  maxKeys?: number
  windowMs?: number
  now?: () => number
}

/**
 * An exact, bounded LRU of keys this process saw *loaded* in front of any dedup store: a
 * retry of an event this writer loaded itself is answered here without a round trip, and a
 * batch made only of such retries costs none. Only loaded keys are cached: they are true
 * whatever happens to the store (the warehouse holds them), so the cache survives an epoch
 * change. A bloom filter would be smaller but its false positives would drop new events.
 */
export function withLocalFilter(store: DedupStore, options: LocalFilterOptions = {}): DedupStore {
  const maxKeys = options.maxKeys ?? 200_000
  const windowMs = options.windowMs ?? 24 * 3600 * 1000
  const now = options.now ?? Date.now
  // Map iteration order is insertion order: re-inserting on use makes it an LRU.
  const loadedAt = new Map<string, number>()

  function knownLoaded(key: string, t: number): boolean {
    const at = loadedAt.get(key)
    if (at === undefined) return false
    loadedAt.delete(key)
    if (t - at >= windowMs) return false
    loadedAt.set(key, at)
    return true
  }

  return {
    epoch: () => store.epoch(),
    async claim(entries: readonly DedupClaim[]) {
      const t = now()
      const ask = entries.filter((e) => !knownLoaded(e.key, t))
      return ask.length === 0 ? new Set() : store.claim(ask)
    },
    async remember(keys) {
      await store.remember(keys)
      const t = now()
      for (const key of keys) {
        loadedAt.delete(key)
        loadedAt.set(key, t)
      }
      while (loadedAt.size > maxKeys) loadedAt.delete(loadedAt.keys().next().value!)
    },
    size: () => store.size(),
  }
}
