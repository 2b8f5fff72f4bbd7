import type { DedupStore } from './dedup-port.ts'

export interface MemoryDedupOptions {
  /** How long a message_id is remembered (default 24 h). */
  windowMs?: number
  /** Upper bound on remembered keys; the oldest generation is dropped first past it. */
  maxKeys?: number
  now?: () => number
}

/**
 * Time-bucketed sets: the window is split into generations so expiry is dropping whole
 * sets, not scanning entries. A key is remembered for at least `windowMs` and at most one
 * generation longer. The epoch is random per instance: a restart is a lost memory.
 */
export function memoryDedup(options: MemoryDedupOptions = {}): DedupStore {
  const windowMs = options.windowMs ?? 24 * 3600 * 1000
  const maxKeys = options.maxKeys ?? 5_000_000
  const now = options.now ?? Date.now
  const generationMs = Math.max(1, Math.floor(windowMs / 8))
  const epoch = crypto.randomUUID()
  // Newest generation last.
  const generations: Array<{ start: number; keys: Set<string> }> = []
  let total = 0

  function expire(): void {
    const cutoff = now() - windowMs - generationMs
    while (generations.length > 0 && (generations[0]!.start < cutoff || total > maxKeys)) {
      total -= generations.shift()!.keys.size
    }
  }

  function current(): Set<string> {
    const t = now()
    const last = generations.at(-1)
    if (last && t - last.start < generationMs) return last.keys
    const fresh = { start: t, keys: new Set<string>() }
    generations.push(fresh)
    return fresh.keys
  }

  return {
    async epoch() {
      return epoch
    },
    async unseen(keys) {
      expire()
      const out = new Set<string>()
      for (const key of keys) {
        if (!generations.some((g) => g.keys.has(key))) out.add(key)
      }
      return out
    },
    async remember(keys) {
      const target = current()
      for (const key of keys) {
        if (!target.has(key)) {
          target.add(key)
          total += 1
        }
      }
      expire()
    },
    async size() {
      return total
    },
  }
}
