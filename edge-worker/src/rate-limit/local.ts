import type { RateLimiter } from './durable-object.ts'
import type { Limiter } from './guard.ts'
import { SlidingWindow, type Verdict } from './window.ts'

/** Where isolates pool their counts (the RateLimiter Durable Object in production). */
export interface SharedCounts {
  /** Adds `count` requests for `name`; resolves to the total in the window across isolates. */
  report(name: string, count: number, windowMs: number, now: number): Promise<number>
}

export interface LocalLimiterOptions {
  shared: SharedCounts
  /** How often an isolate reports a key it is counting. Default 1 s. */
  syncMs?: number
  /** Keys held per isolate; the least recently created go first beyond it. */
  maxKeys?: number
}

interface Entry {
  local: SlidingWindow
  /** The other isolates' count in the window, as of the last report's answer. */
  others: number
  /** Let through here since the last report. */
  pending: number
  lastSync: number
  /** `now` of the latest hit: a report that ends after the period sends what came meanwhile. */
  lastHit: number
  syncing: boolean
}

/**
 * Rate limiting decided in the isolate, reconciled with the shared counter in the background
 * (docs/adr/0018): a request never waits for a Durable Object round trip. Each key counts
 * locally in the same sliding window the object keeps; at most once per `syncMs` the isolate
 * reports what it let through and learns what the others did, which it subtracts from the
 * limit. In one isolate (the embedded edge) the limit holds exactly; across N isolates a key
 * can overshoot by what the others let through within one sync period.
 */
export function locallyReconciledLimiter(options: LocalLimiterOptions): Limiter {
  const syncMs = options.syncMs ?? 1_000
  const maxKeys = options.maxKeys ?? 10_000
  const entries = new Map<string, Entry>()

  function sync(
    name: string,
    e: Entry,
    windowMs: number,
    now: number,
    defer?: (p: Promise<unknown>) => void,
  ): Promise<void> {
    e.syncing = true
    e.lastSync = now
    const count = e.pending
    e.pending = 0
    const done: Promise<void> = options.shared
      .report(name, count, windowMs, now)
      .then((total) => {
        e.others = Math.max(0, total - e.local.count(now, windowMs))
      })
      .then(
        () => true,
        () => {
          // Reported next time; meanwhile the local count still limits this isolate.
          e.pending += count
          return false
        },
      )
      .then((reported): Promise<void> | undefined => {
        e.syncing = false
        // A failed report waits for the next hit: retrying at once would spin on an outage.
        if (reported && e.pending > 0 && e.lastHit - e.lastSync >= syncMs)
          return sync(name, e, windowMs, e.lastHit)
      })
    defer?.(done)
    return done
  }

  return {
    hit(name, limit, windowMs, now, defer): Promise<Verdict> {
      let e = entries.get(name)
      if (!e) {
        if (entries.size >= maxKeys) entries.delete(entries.keys().next().value!)
        // Reports after its first hit, so a key busy in other isolates is learnt early.
        e = {
          local: new SlidingWindow(),
          others: 0,
          pending: 0,
          lastSync: Number.NEGATIVE_INFINITY,
          lastHit: now,
          syncing: false,
        }
        entries.set(name, e)
      }
      e.lastHit = Math.max(e.lastHit, now)
      const verdict = e.local.hit(now, Math.max(0, limit - e.others), windowMs)
      if (verdict.allowed) e.pending += 1
      if (!e.syncing && now - e.lastSync >= syncMs) void sync(name, e, windowMs, now, defer)
      return Promise.resolve(
        verdict.allowed ? { ...verdict, remaining: Math.max(0, verdict.remaining) } : verdict,
      )
    },
  }
}

export function durableObjectCounts(namespace: DurableObjectNamespace<RateLimiter>): SharedCounts {
  return {
    report: async (name, count, windowMs, now) =>
      namespace.get(namespace.idFromName(name)).report(count, windowMs, now),
  }
}
