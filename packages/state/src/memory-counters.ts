import { type RateCounters, type WindowCount, windowIndex } from './counters-port.ts'

/** In-process twin of the Redis counters: the same window keys and expiry, in a Map. */
export function memoryCounters(options: { now?: () => number } = {}): RateCounters {
  const clock = options.now ?? Date.now
  const windows = new Map<string, { count: number; expiresAt: number }>()
  let lastSweep = 0

  function sweep(t: number): void {
    if (t - lastSweep < 1000) return
    lastSweep = t
    for (const [key, w] of windows) if (w.expiresAt <= t) windows.delete(key)
  }
  function value(key: string, t: number): number {
    const w = windows.get(key)
    return w && w.expiresAt > t ? w.count : 0
  }
  function keys(siteId: string, name: string, windowMs: number, now: number) {
    const index = windowIndex(now, windowMs)
    const base = `${siteId}\u0000${name}\u0000${windowMs}\u0000`
    return { current: base + index, previous: base + (index - 1), windowStart: index * windowMs }
  }
  function read(siteId: string, name: string, windowMs: number, now: number): WindowCount {
    const k = keys(siteId, name, windowMs, now)
    const t = clock()
    return {
      current: value(k.current, t),
      previous: value(k.previous, t),
      windowStart: k.windowStart,
      windowMs,
    }
  }

  return {
    async add(siteId, name, windowMs, amount, now = clock()) {
      const t = clock()
      sweep(t)
      const k = keys(siteId, name, windowMs, now)
      windows.set(k.current, { count: value(k.current, t) + amount, expiresAt: t + 2 * windowMs })
      return read(siteId, name, windowMs, now)
    },
    async read(siteId, name, windowMs, now = clock()) {
      return read(siteId, name, windowMs, now)
    },
  }
}
