/** One limiter decision. Plain data: it crosses the Durable Object RPC boundary. */
export interface Verdict {
  allowed: boolean
  /** Requests left in the window after this one (0 when refused). */
  remaining: number
  /** When refused: milliseconds until enough of the window has passed for one more request. */
  retryAfterMs: number
}

/** Buckets per window: 1 s resolution for the per-minute limits, 60 numbers of memory. */
const BUCKETS = 60

/**
 * A sliding window of counts in BUCKETS equal slices. Unlike a fixed window it never lets
 * 2× the limit through around a window boundary, and unlike a log of timestamps its memory
 * does not grow with the limit (60,000 a minute costs the same as 60). Refused requests are
 * not counted, so a client that backs off as told by Retry-After gets in.
 */
export class SlidingWindow {
  private starts: number[] = []
  private counts: number[] = []
  private total = 0
  private windowMs = 0

  hit(now: number, limit: number, windowMs: number): Verdict {
    if (windowMs !== this.windowMs) this.reset(windowMs)
    const bucketMs = Math.max(1, Math.floor(windowMs / BUCKETS))
    const current = Math.floor(now / bucketMs)
    this.expire(current - BUCKETS + 1)
    if (this.total < limit) {
      const last = this.starts.length - 1
      // A clock that stepped back (another isolate's now) counts into the newest bucket.
      if (last >= 0 && this.starts[last]! >= current) this.counts[last]! += 1
      else {
        this.starts.push(current)
        this.counts.push(1)
      }
      this.total += 1
      return { allowed: true, remaining: limit - this.total, retryAfterMs: 0 }
    }
    // Refused: the wait is until the oldest buckets holding the excess have slid out.
    let freed = 0
    let freeAt = now + windowMs
    for (let i = 0; i < this.starts.length; i++) {
      freed += this.counts[i]!
      if (this.total - freed < limit) {
        freeAt = (this.starts[i]! + BUCKETS) * bucketMs
        break
      }
    }
    return { allowed: false, remaining: 0, retryAfterMs: Math.max(1, freeAt - now) }
  }

  /** Adds `n` requests counted elsewhere (another isolate's report), limit unchecked; returns the window's total. */
  add(now: number, n: number, windowMs: number): number {
    if (windowMs !== this.windowMs) this.reset(windowMs)
    const bucketMs = Math.max(1, Math.floor(windowMs / BUCKETS))
    const current = Math.floor(now / bucketMs)
    this.expire(current - BUCKETS + 1)
    if (n > 0) {
      const last = this.starts.length - 1
      if (last >= 0 && this.starts[last]! >= current) this.counts[last]! += n
      else {
        this.starts.push(current)
        this.counts.push(n)
      }
      this.total += n
    }
    return this.total
  }

  /** Requests in the window as of `now`. */
  count(now: number, windowMs: number): number {
    return this.add(now, 0, windowMs)
  }

  private expire(oldestLive: number): void {
    let drop = 0
    while (drop < this.starts.length && this.starts[drop]! < oldestLive) {
      this.total -= this.counts[drop]!
      drop += 1
    }
    if (drop > 0) {
      this.starts.splice(0, drop)
      this.counts.splice(0, drop)
    }
  }

  private reset(windowMs: number): void {
    this.starts = []
    this.counts = []
    this.total = 0
    this.windowMs = windowMs
  }
}
