import { HttpError } from '@sightline/http'
import type { MiddlewareHandler } from 'hono'

const BEARER = /^Bearer\s+(\S+)\s*$/i

export interface KeyConcurrencyOptions {
  /** Requests one read key may have in flight at once. */
  maxInFlight: number
  /** What a refused client is told to wait (Retry-After, whole seconds). */
  retryAfterS: number
}

/**
 * Queries in flight per read key, in this process. One instance is shared by the REST routes
 * and the live `query` channel, so a key's live re-runs and its REST requests draw on one
 * budget.
 */
export class KeyInFlight {
  private readonly running = new Map<string, number>()
  private waiters: Array<() => void> = []

  constructor(readonly options: KeyConcurrencyOptions) {}

  count(key: string): number {
    return this.running.get(key) ?? 0
  }

  /** A release function, or undefined when the key is at its cap. */
  tryAcquire(key: string): (() => void) | undefined {
    const n = this.count(key)
    if (n >= this.options.maxInFlight) return undefined
    this.running.set(key, n + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const left = this.count(key) - 1
      if (left <= 0) this.running.delete(key)
      else this.running.set(key, left)
      const waiting = this.waiters
      this.waiters = []
      for (const wake of waiting) wake()
    }
  }

  /** Resolves at the next release of any key (a waiter then tries again). */
  nextRelease(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }
}

/**
 * A per-read-key cap on requests in flight, mounted after the read-key check (so the key is
 * known to be valid). One dashboard firing fifty widgets, or a script in a loop, gets 429 +
 * Retry-After for the excess instead of filling the warehouse's read queue, where everyone
 * else's queries would wait behind it and time out.
 */
export function keyConcurrency(inFlight: KeyInFlight): MiddlewareHandler {
  const { maxInFlight, retryAfterS } = inFlight.options
  return async (c, next) => {
    const key = BEARER.exec(c.req.header('authorization') ?? '')?.[1] ?? ''
    const release = inFlight.tryAcquire(key)
    if (release === undefined) {
      throw new HttpError(
        'rate_limited',
        `This read key already has ${inFlight.count(key)} queries running (at most ${maxInFlight}); retry when one has finished.`,
        { retryAfterS },
      )
    }
    try {
      await next()
    } finally {
      release()
    }
  }
}
