import { DurableObject } from 'cloudflare:workers'
import { SlidingWindow, type Verdict } from './window.ts'

/**
 * One limiter key (a write key, or a site's client IP) = one Durable Object instance, so
 * every request for that key, from any colo, meets the same counter. Counts live in memory
 * only: an evicted or restarted object forgets at most one window, which errs on the side
 * of letting traffic through, and memory-only keeps each hit to a single in-memory update.
 */
export class RateLimiter extends DurableObject {
  private readonly window = new SlidingWindow()

  /**
   * `now` comes from the calling worker (same Cloudflare clock), which lets tests drive
   * the window with an injected clock.
   */
  hit(limit: number, windowMs: number, now: number): Verdict {
    if (!Number.isFinite(now) || !(limit > 0) || !(windowMs > 0)) {
      throw new RangeError('rate limiter: limit, windowMs and now must be positive numbers')
    }
    return this.window.hit(now, limit, windowMs)
  }

  /**
   * An isolate's periodic report (local.ts): `count` requests it let through since its last
   * report. Returns the key's total in the window across every isolate that reported.
   */
  report(count: number, windowMs: number, now: number): number {
    if (!Number.isFinite(now) || !(windowMs > 0) || !Number.isInteger(count) || count < 0) {
      throw new RangeError('rate limiter: count, windowMs and now must be non-negative numbers')
    }
    return this.window.add(now, count, windowMs)
  }
}
