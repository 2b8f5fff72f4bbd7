/**
 * Windowed counters per site (events per minute, per-site quotas). Fixed windows are stored;
 * a sliding window is estimated from the current and the previous fixed window, weighting
 * the previous by how much of it still overlaps the sliding one (two numbers per counter
 * instead of one entry per event).
 */
export interface RateCounters {
  /**
   * Adds `amount` (negative to give back) to the current window of the site's counter `name`
   * and reads both windows, in one round trip. `now` picks the window (default: the clock).
   */
  add(siteId: string, name: string, windowMs: number, amount: number, now?: number): Promise<WindowCount>
  /** Reads both windows without adding. */
  read(siteId: string, name: string, windowMs: number, now?: number): Promise<WindowCount>
}

export interface WindowCount {
  /** The current fixed window's count (after the add). */
  current: number
  /** The previous fixed window's count. */
  previous: number
  /** Start of the current window, ms since the Unix epoch (windows are aligned to it). */
  windowStart: number
  windowMs: number
}

/** Index of the fixed window containing `now`; aligned so every bridge agrees on it. */
export function windowIndex(now: number, windowMs: number): number {
  return Math.floor(now / windowMs)
}

/** The fixed-window count: what the current window holds. */
export function fixedWindowCount(count: WindowCount): number {
  return count.current
}

/** The sliding-window estimate at `now`: the previous window weighted by its remaining overlap. */
export function slidingWindowCount(count: WindowCount, now: number): number {
  const elapsed = Math.min(Math.max(now - count.windowStart, 0), count.windowMs)
  return count.previous * (1 - elapsed / count.windowMs) + count.current
}
