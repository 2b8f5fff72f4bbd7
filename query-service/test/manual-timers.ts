import type { Timers } from '../src/ports.ts'

/**
 * A clock that only moves when the test says so, with the timers on it: `advanceTo` fires
 * every timer due by then, in due order, each with the clock at its own instant. A zero-delay
 * timer also fires on its own (on the next turn of the event loop), as Node's would, so code
 * that hands over to the debounce does not wait for the next advance.
 */
export function manualTimers(startMs: number) {
  let now = startMs
  let seq = 0
  const pending = new Map<number, { at: number; run: () => void }>()
  const fire = (id: number) => {
    const timer = pending.get(id)
    if (timer === undefined || timer.at > now) return
    pending.delete(id)
    timer.run()
  }
  const timers: Timers = {
    now: () => now,
    setTimeout(run, ms) {
      const id = ++seq
      pending.set(id, { at: now + Math.max(0, ms), run })
      if (ms <= 0) setImmediate(() => fire(id))
      return id
    },
    clearTimeout: (handle) => {
      pending.delete(handle as number)
    },
  }
  return {
    timers,
    /** The instants pending timers are due at, soonest first. */
    pending: () => [...pending.values()].map((t) => t.at).sort((a, b) => a - b),
    advanceTo(ms: number): void {
      for (;;) {
        let next: [number, { at: number }] | undefined
        for (const entry of pending)
          if (entry[1].at <= ms && (!next || entry[1].at < next[1].at)) next = entry
        if (next === undefined) break
        now = Math.max(now, next[1].at)
        fire(next[0])
      }
      now = Math.max(now, ms)
    },
  }
}
