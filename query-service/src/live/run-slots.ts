/**
 * The slots live query runs take before they reach the warehouse, shortest expected run
 * first with aging (highest response ratio next): a waiter's priority is
 * (waited + expected) / expected, so a cheap run overtakes an expensive one that arrived
 * earlier, and a run that has waited as long as it will take has doubled its priority and
 * cannot starve (ADR 0034).
 *
 * Why not the warehouse's own FIFO gate alone: a spec on a busy site re-runs every second
 * on a growing table, and a quiet site's cheap spec that queued behind two of those waited
 * for both. Taking no more slots than the warehouse has read slots also means live runs never
 * fill its queue: a REST request waits behind at most that many live runs.
 */
export class RunSlots {
  private running = 0
  private readonly waiting: Waiter[] = []

  constructor(
    private readonly size: number,
    private readonly now: () => number,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`live query run slots must be ≥ 1, got ${size}`)
  }

  /** Runs waiting for a slot now. */
  queued(): number {
    return this.waiting.length
  }

  /**
   * Resolves with a release function once a slot is this caller's; `expectedMs` is how long
   * its run is expected to take, undefined when nothing is known yet: a spec's first run, which
   * subscribers are waiting on for their snapshot, goes before every known one. Rejects when
   * the signal aborts while waiting.
   */
  acquire(expectedMs: number | undefined, signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(new Error('aborted'))
    if (this.running < this.size && this.waiting.length === 0) {
      this.running++
      return Promise.resolve(this.releaser())
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        since: this.now(),
        expectedMs: expectedMs === undefined ? undefined : Math.max(1, expectedMs),
        enter: () => {
          signal.removeEventListener('abort', onAbort)
          this.running++
          resolve(this.releaser())
        },
      }
      const onAbort = () => {
        const at = this.waiting.indexOf(waiter)
        if (at >= 0) this.waiting.splice(at, 1)
        reject(new Error('aborted'))
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(waiter)
    })
  }

  private releaser(): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      this.running--
      this.next()?.enter()
    }
  }

  /** Removes and returns the waiter with the highest response ratio; ties go to the earliest. */
  private next(): Waiter | undefined {
    if (this.waiting.length === 0) return undefined
    const now = this.now()
    let best = 0
    let bestRatio = Number.NEGATIVE_INFINITY
    this.waiting.forEach((w, i) => {
      const ratio =
        w.expectedMs === undefined ? Number.POSITIVE_INFINITY : (now - w.since + w.expectedMs) / w.expectedMs
      if (ratio > bestRatio) {
        best = i
        bestRatio = ratio
      }
    })
    return this.waiting.splice(best, 1)[0]
  }
}

interface Waiter {
  since: number
  /** Undefined: first run, before any known one (first come first among those). */
  expectedMs: number | undefined
  enter(): void
}
