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
 * A per-read-key cap on requests in flight, mounted after the read-key check (so the key is
 * known to be valid). One dashboard firing fifty widgets, or a script in a loop, gets 429 +
 * Retry-After for the excess instead of filling the warehouse's read queue, where everyone
 * else's queries would wait behind it and time out. The count is per process, in memory.
 */
export function keyConcurrency(options: KeyConcurrencyOptions): MiddlewareHandler {
  const inFlight = new Map<string, number>()
  return async (c, next) => {
    const key = BEARER.exec(c.req.header('authorization') ?? '')?.[1] ?? ''
    const running = inFlight.get(key) ?? 0
    if (running >= options.maxInFlight) {
      throw new HttpError(
        'rate_limited',
        `This read key already has ${running} queries running (at most ${options.maxInFlight}); retry when one has finished.`,
        { retryAfterS: options.retryAfterS },
      )
    }
    inFlight.set(key, running + 1)
    try {
      await next()
    } finally {
      const left = (inFlight.get(key) ?? 1) - 1
      if (left <= 0) inFlight.delete(key)
      else inFlight.set(key, left)
    }
  }
}
