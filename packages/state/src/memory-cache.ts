import type { Cache } from './cache-port.ts'

/** In-process twin: a Map with expiry times and a bound on entries (oldest first out). */
export function memoryCache(options: { maxEntries?: number; now?: () => number } = {}): Cache {
  const maxEntries = options.maxEntries ?? 10_000
  const now = options.now ?? Date.now
  const entries = new Map<string, { value: string; expiresAt: number }>()
  const id = (siteId: string, key: string) => `${siteId}\u0000${key}`
  return {
    async get(siteId, key) {
      const entry = entries.get(id(siteId, key))
      if (!entry) return undefined
      if (entry.expiresAt > now()) return entry.value
      entries.delete(id(siteId, key))
      return undefined
    },
    async set(siteId, key, value, ttlMs) {
      entries.delete(id(siteId, key))
      entries.set(id(siteId, key), { value, expiresAt: now() + ttlMs })
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!)
    },
    async delete(siteId, key) {
      entries.delete(id(siteId, key))
    },
  }
}
