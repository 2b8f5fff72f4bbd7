/**
 * Polls `probe` until `ok` accepts its value or the time is up, then returns the last value
 * (the test's own assertion reports what was wrong). A probe that throws — a service still
 * starting — is retried; if it never answered at all, its last error is rethrown.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let answered = false
  let last: T | undefined
  let lastError: unknown
  for (;;) {
    try {
      last = await probe()
      answered = true
      if (ok(last)) return last
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      if (!answered) throw lastError
      return last as T
    }
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
