// When to try again. Pure, so the schedule is testable without a clock.

/** Statuses worth another attempt: the edge's 503 (no bridge), 429 (rate limit), 408, other 5xx. */
export function isRetryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * Exponential backoff with "equal jitter": attempt n waits between half and all of
 * base·2ⁿ (capped), so clients that failed together do not retry together, yet each
 * still waits at least half the schedule. A server's Retry-After replaces the schedule.
 */
export function backoffMs(
  attempt: number,
  opts: { baseMs: number; maxMs: number; retryAfterMs?: number | undefined },
  random = Math.random,
): number {
  if (opts.retryAfterMs !== undefined) return Math.min(opts.retryAfterMs, MAX_RETRY_AFTER_MS)
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** attempt)
  return ceiling / 2 + random() * (ceiling / 2)
}

/** A Retry-After beyond this is treated as this (a misconfigured server must not park us for hours). */
export const MAX_RETRY_AFTER_MS = 10 * 60_000
