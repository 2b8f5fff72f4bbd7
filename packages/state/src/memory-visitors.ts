import type { UniqueCounter } from './visitors-port.ts'

/** In-process twin: exact sets (the contract allows HyperLogLog's error, not more). */
export function memoryUniqueCounter(options: { now?: () => number } = {}): UniqueCounter {
  const now = options.now ?? Date.now
  const sets = new Map<string, { members: Set<string>; expiresAt: number }>()
  const id = (siteId: string, name: string) => `${siteId}\u0000${name}`
  return {
    async add(siteId, name, members, ttlMs) {
      const key = id(siteId, name)
      const existing = sets.get(key)
      const entry =
        existing && existing.expiresAt > now() ? existing : { members: new Set<string>(), expiresAt: 0 }
      sets.set(key, entry)
      for (const m of members) entry.members.add(m)
      entry.expiresAt = now() + ttlMs
    },
    async count(siteId, names) {
      const union = new Set<string>()
      for (const name of names) {
        const entry = sets.get(id(siteId, name))
        if (entry && entry.expiresAt > now()) for (const m of entry.members) union.add(m)
      }
      return union.size
    },
  }
}
