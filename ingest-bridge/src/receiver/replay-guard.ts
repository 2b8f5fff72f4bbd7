import { LIMITS } from '@sightline/contracts'

export type ReplayVerdict = 'fresh' | 'seen' | 'too_old'

/**
 * Batch ids accepted within the signature window. A signed batch is valid for ±5 minutes,
 * so a captured request could be replayed for that long: each replay would be a new stream
 * record (the writer deduplicates the events, but not the cost). Remembering ids for the
 * window closes that; an edge retry of the same batch is answered "already durable".
 *
 * Bounded: past `maxEntries` the oldest ids are forgotten, and from then on a signature
 * older than the newest forgotten one is refused as too old — the edge re-signs on retry,
 * so only a replay (or a batch held back for minutes) meets that.
 */
export class ReplayGuard {
  readonly #seen = new Map<string, number>()
  #floor = Number.NEGATIVE_INFINITY

  constructor(
    readonly maxEntries = 200_000,
    readonly windowMs: number = LIMITS.signatureWindowMs,
  ) {}

  /** Whether `batchId`, signed at `signedAt`, may be appended. Does not remember it. */
  check(batchId: string, signedAt: number): ReplayVerdict {
    if (this.#seen.has(batchId)) return 'seen'
    return signedAt <= this.#floor ? 'too_old' : 'fresh'
  }

  /** Call once the batch is durable: a failed append must stay retryable. */
  remember(batchId: string, signedAt: number, now: number): void {
    this.#seen.set(batchId, signedAt)
    // Insertion order is arrival order: expired ids are at the front.
    for (const [id, t] of this.#seen) {
      if (t >= now - this.windowMs && this.#seen.size <= this.maxEntries) break
      this.#seen.delete(id)
      if (t >= now - this.windowMs) this.#floor = Math.max(this.#floor, t)
    }
  }

  get size(): number {
    return this.#seen.size
  }
}

/** The `t=` of a signature header that verifyBody accepted. */
export function signedAt(header: string): number {
  const match = /(?:^|,)\s*t=(\d+)/.exec(header)
  return match ? Number(match[1]) : 0
}
