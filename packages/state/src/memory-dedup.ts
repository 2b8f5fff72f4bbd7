import { type DedupClaim, type DedupStore, LOADED_MARK } from './dedup-port.ts'

export interface MemoryDedupOptions {
  /** How long a message_id is remembered (default 24 h). */
  windowMs?: number
  /** Upper bound on remembered keys; the oldest generation is dropped first past it. */
  maxKeys?: number
  now?: () => number
}

/**
 * Time-bucketed maps (key → claiming source or the loaded mark): the window is split into
 * generations so expiry is dropping whole maps, not scanning entries. A key is remembered
 * for at least `windowMs` and at most one generation longer. The epoch is random per
 * instance: a restart is a lost memory.
 */
export function memoryDedup(options: MemoryDedupOptions = {}): DedupStore {
  const windowMs = options.windowMs ?? 24 * 3600 * 1000
  const maxKeys = options.maxKeys ?? 5_000_000
  const now = options.now ?? Date.now
  const generationMs = Math.max(1, Math.floor(windowMs / 8))
  const epoch = crypto.randomUUID()
  // Newest generation last.
  const generations: Array<{ start: number; marks: Map<string, string> }> = []
  let total = 0

  function expire(): void {
    const cutoff = now() - windowMs - generationMs
    while (generations.length > 0 && (generations[0]!.start < cutoff || total > maxKeys)) {
      total -= generations.shift()!.marks.size
    }
  }

  function current(): Map<string, string> {
    const t = now()
    const last = generations.at(-1)
    if (last && t - last.start < generationMs) return last.marks
    const fresh = { start: t, marks: new Map<string, string>() }
    generations.push(fresh)
    return fresh.marks
  }

  function lookup(key: string): string | undefined {
    for (let i = generations.length - 1; i >= 0; i--) {
      const mark = generations[i]!.marks.get(key)
      if (mark !== undefined) return mark
    }
    return undefined
  }

  /** Sets the newest mark; an older generation's entry for the key is dropped so size stays true. */
  function mark(key: string, value: string): void {
    const target = current()
    for (const g of generations) {
      if (g.marks !== target && g.marks.delete(key)) total -= 1
    }
    if (!target.has(key)) total += 1
    target.set(key, value)
  }

  return {
    async epoch() {
      return epoch
    },
    async claim(entries: readonly DedupClaim[]) {
      expire()
      const fresh = new Set<string>()
      for (const { key, source } of entries) {
        const existing = lookup(key)
        if (existing === undefined) mark(key, source)
        if (existing === undefined || existing === source) fresh.add(key)
      }
      expire()
      return fresh
    },
    async remember(keys) {
      for (const key of keys) mark(key, LOADED_MARK)
      expire()
    },
    async size() {
      return total
    },
  }
}
