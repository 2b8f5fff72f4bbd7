import type { Timers } from '../ports.ts'

/**
 * The process clock and Node's timers. Each call goes to the global at call time, so a test
 * that fakes the globals (vitest's fake timers) fakes this too.
 */
export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout> | undefined),
}
