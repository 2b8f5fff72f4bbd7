/**
 * When a live query whose range moves with the clock is re-run without new data
 * (docs/live.md, "When it runs"; ADR 0029's amendment).
 *
 * The rule: one second past every multiple of `stepMs` since the epoch, a divisor of a
 * minute (one minute by default). Two things change such an answer while no event arrives:
 * - events leave a window that slides (`from` omitted: the span before now), continuously;
 *   a one-minute step bounds how late one drops out;
 * - a new bucket or period starts (trends' day in `tz`, a retention week): at a local
 *   midnight, hour, Monday or first of the month. Every such start is a whole UTC minute,
 *   because every zone's offset from UTC is a whole number of minutes (since 1972, when the
 *   last zone with seconds in its offset, Africa/Monrovia, dropped them), so a step dividing
 *   a minute reaches each one, in every zone, with no calendar here.
 * The second: a range ends before `to`, and the plans fill empty buckets up to `to` in the
 * warehouse's whole-second DateTime, so a bucket starting at B is in the answer once `to` is
 * B + 1 s; the run then is the first to show it (an event leaving at B has left by then too).
 * Alignment to the epoch, not to the last run, keeps those instants exact. The debounce
 * (`minIntervalMs`) still applies, and a commit's run in between moves the next clock run to
 * the step after it.
 */
export function nextClockRun(atMs: number, stepMs: number): number {
  return (Math.floor((atMs - PAST_MS) / stepMs) + 1) * stepMs + PAST_MS
}

const PAST_MS = 1_000

const MINUTE_MS = 60_000

/** Refuses (at startup) a step on which some bucket start would fall between two runs. */
export function checkClockStep(stepMs: number): void {
  if (!Number.isInteger(stepMs) || stepMs < 1_000 || MINUTE_MS % stepMs !== 0) {
    throw new Error(
      `queryClockStepMs must be a whole divisor of a minute of at least 1 s (got ${stepMs}), so every bucket start is a clock run`,
    )
  }
}
