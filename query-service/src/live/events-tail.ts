import { EVENT_NAME_ALIASES, type LiveEvent } from '@sightline/contracts'
import type { EventsData, Subscribe } from '@sightline/live-client'

/**
 * One `events` subscription's filter and sampler. Above `maxPerS` matching events a second
 * it keeps every k-th (k from the previous second's rate), so a dashboard gets a steady,
 * stated fraction instead of an unbounded firehose.
 */
export class EventsTail {
  private readonly event: string | undefined
  private windowStart = 0
  private matchedThisWindow = 0
  private ratePerS = 0
  private every = 1
  private counter = 0

  constructor(
    private readonly filter: Pick<Subscribe, 'event' | 'path' | 'country'>,
    private readonly maxPerS: number,
  ) {
    this.event = filter.event === undefined ? undefined : (EVENT_NAME_ALIASES[filter.event] ?? filter.event)
  }

  /** The slice of `events` this subscriber gets, or undefined when nothing matched. */
  take(events: readonly LiveEvent[], nowMs: number): EventsData | undefined {
    const kept: LiveEvent[] = []
    for (const e of events) {
      if (!this.matches(e)) continue
      this.roll(nowMs)
      this.matchedThisWindow++
      if (this.counter++ % this.every === 0) kept.push(e)
    }
    if (kept.length === 0) return undefined
    return { events: kept, sample_rate: 1 / this.every, rate_per_s: this.ratePerS }
  }

  private matches(e: LiveEvent): boolean {
    return (
      (this.event === undefined || e.event === this.event) &&
      (this.filter.path === undefined || e.path === this.filter.path) &&
      (this.filter.country === undefined || e.country === this.filter.country)
    )
  }

  /** Closes the current one-second window when it is over and re-derives the sampling step. */
  private roll(nowMs: number): void {
    if (nowMs - this.windowStart < 1000) {
      // A burst within the second tightens the step at once instead of waiting for the next.
      if (this.matchedThisWindow >= this.maxPerS) {
        this.every = Math.max(this.every, Math.ceil((this.matchedThisWindow + 1) / this.maxPerS))
      }
      return
    }
    const elapsedS = this.windowStart === 0 ? 1 : Math.max(1, (nowMs - this.windowStart) / 1000)
    this.ratePerS = Math.round(this.matchedThisWindow / elapsedS)
    this.every = Math.max(1, Math.ceil(this.ratePerS / this.maxPerS))
    this.windowStart = nowMs
    this.matchedThisWindow = 0
  }
}
