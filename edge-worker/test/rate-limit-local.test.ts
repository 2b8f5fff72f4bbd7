import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { durableObjectCounts, locallyReconciledLimiter, type SharedCounts } from '../src/rate-limit/local.ts'

// Two limiter instances stand for two isolates of the edge; the shared counter is the real
// RateLimiter Durable Object in workerd. What must hold: one isolate never lets more than the
// limit through, and isolates that reconciled see each other's traffic.
const WINDOW = 60_000
const name = () => `test-${crypto.randomUUID()}`

function isolate(shared: SharedCounts, syncMs = 0) {
  const pending: Promise<unknown>[] = []
  const limiter = locallyReconciledLimiter({ shared, syncMs })
  return {
    hit: (key: string, limit: number, now: number) =>
      limiter.hit(key, limit, WINDOW, now, (p) => pending.push(p)),
    /** Waits for background reports (what waitUntil does for a real request). */
    settle: () => Promise.all(pending.splice(0)),
  }
}

describe('locally reconciled rate limits', () => {
  it('holds the limit exactly in one isolate, without waiting for the shared counter', async () => {
    const never: SharedCounts = { report: () => new Promise(() => {}) }
    const one = isolate(never)
    const key = name()
    const t0 = Date.now()
    const verdicts = []
    for (let i = 0; i < 12; i++) verdicts.push(await one.hit(key, 10, t0))
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(10)
    expect(verdicts.slice(10).every((v) => !v.allowed && v.retryAfterMs > 0)).toBe(true)
  })

  it('two isolates that reconciled share one limit (the Durable Object pools their counts)', async () => {
    const shared = durableObjectCounts(env.RATE_LIMITER)
    const a = isolate(shared)
    const b = isolate(shared)
    const key = name()
    const t0 = Date.now()
    let allowed = 0
    for (let i = 0; i < 6; i++) if ((await a.hit(key, 10, t0 + i)).allowed) allowed++
    await a.settle()
    // b's first hit reports and learns a's 6; from then on b sees only 4 left.
    if ((await b.hit(key, 10, t0 + 10)).allowed) allowed++
    await b.settle()
    for (let i = 0; i < 10; i++) {
      if ((await b.hit(key, 10, t0 + 20 + i)).allowed) allowed++
      await b.settle()
    }
    expect(allowed).toBe(10)
    // a learns b's share at its next report and refuses from then on.
    await a.hit(key, 10, t0 + 100)
    await a.settle()
    expect((await a.hit(key, 10, t0 + 101)).allowed).toBe(false)
  })

  it('overshoots by at most what the other isolates let through in one sync period', async () => {
    const shared = durableObjectCounts(env.RATE_LIMITER)
    const isolates = [isolate(shared, 1_000), isolate(shared, 1_000), isolate(shared, 1_000)]
    const key = name()
    const t0 = Date.now()
    let allowed = 0
    // Within one period nobody has heard from the others: each may let the whole limit through.
    for (const i of isolates) for (let n = 0; n < 5; n++) if ((await i.hit(key, 5, t0)).allowed) allowed++
    expect(allowed).toBeLessThanOrEqual(5 * isolates.length)
    await Promise.all(isolates.map((i) => i.settle()))
    // After the next sync every isolate knows the key is spent.
    for (const i of isolates) await i.hit(key, 5, t0 + 1_000)
    await Promise.all(isolates.map((i) => i.settle()))
    for (const i of isolates) expect((await i.hit(key, 5, t0 + 1_001)).allowed).toBe(false)
  })

  it('keeps counting locally while the shared counter fails, and reports later', async () => {
    let fail = true
    const counts = new Map<string, number>()
    const flaky: SharedCounts = {
      report: async (key, count) => {
        if (fail) throw new Error('unavailable')
        counts.set(key, (counts.get(key) ?? 0) + count)
        return counts.get(key)!
      },
    }
    const one = isolate(flaky)
    const key = name()
    const t0 = Date.now()
    for (let i = 0; i < 3; i++) {
      expect((await one.hit(key, 3, t0 + i)).allowed).toBe(true)
      await one.settle()
    }
    expect((await one.hit(key, 3, t0 + 5)).allowed).toBe(false)
    fail = false
    await one.settle()
    await one.hit(key, 3, t0 + 10)
    await one.settle()
    // Nothing lost: the three let through while it failed arrive with the next report.
    expect(counts.get(key)).toBe(3)
  })
})
