import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { clientIpPolicy } from '../src/client-ip.ts'
import { SiteSchema } from '../src/config.ts'
import { limiterIpKey } from '../src/rate-limit/client-ip.ts'
import { type Limiter, rateLimitGuard } from '../src/rate-limit/guard.ts'
import { durableObjectCounts, locallyReconciledLimiter } from '../src/rate-limit/local.ts'
import { SlidingWindow } from '../src/rate-limit/window.ts'
import { staticSites } from '../src/sites.ts'
import { type ErrorJson, makeEvent, post, testApp } from './support/harness.ts'

/** A site with its own fresh keys (limiter objects are per key, so tests never share counts). */
function limitedApp(limits: { per_key_per_minute: number; per_ip_per_minute: number }, limiter?: Limiter) {
  const keys = [`wk_${crypto.randomUUID()}`, `wk_${crypto.randomUUID()}`]
  const site = SiteSchema.parse({
    site_id: `site_${crypto.randomUUID()}`,
    write_keys: keys,
    rate_limit: limits,
  })
  // The limiter's clock only: received_at and signatures keep real time for the bridge.
  const clock = { offsetMs: 0 }
  const guard = rateLimitGuard({
    // The production wiring (index.ts): local windows reconciled through the Durable Object.
    limiter: limiter ?? locallyReconciledLimiter({ shared: durableObjectCounts(env.RATE_LIMITER) }),
    now: () => Date.now() + clock.offsetMs,
    timeoutMs: 300,
    // These tests stand in for Cloudflare, where CF-Connecting-IP is the platform's.
    clientIp: clientIpPolicy({ source: 'cloudflare', trustCfGeo: true }),
    nameSecret: 'test-limiter-names-0123456789abcdef',
  })
  // Enrichment is not what these tests are about: identity keeps them independent of it.
  const { app } = testApp(['ok'], { sites: staticSites([site]), guards: [guard], enrich: (events) => events })
  const send = (key: string, ip?: string) =>
    post(
      app,
      '/v1/batch',
      { batch: [makeEvent()] },
      {
        authorization: `Bearer ${key}`,
        ...(ip ? { 'cf-connecting-ip': ip } : {}),
      },
    )
  return { keys, guard, clock, send }
}

async function expectLimited(res: Response): Promise<number> {
  expect(res.status).toBe(429)
  const retryAfter = Number(res.headers.get('retry-after'))
  expect(retryAfter).toBeGreaterThanOrEqual(1)
  expect(retryAfter).toBeLessThanOrEqual(60)
  const body = (await res.json()) as ErrorJson
  expect(body.error.code).toBe('rate_limited')
  expect(body.error.docs).toMatch(/errors\.md#rate_limited$/)
  expect(body.error.request_id).toBeTruthy()
  return retryAfter
}

describe('rate limits (local sliding windows reconciled through the Durable Object, in workerd)', () => {
  it('per write key: over the limit → 429 + Retry-After; the site’s other key is unaffected', async () => {
    const { keys, send } = limitedApp({ per_key_per_minute: 3, per_ip_per_minute: 1000 })
    for (let i = 0; i < 3; i++) expect((await send(keys[0]!)).status).toBe(200)
    await expectLimited(await send(keys[0]!))
    expect((await send(keys[1]!)).status).toBe(200)
  })

  it('per client IP: over the limit → 429; another IP with the same key is unaffected', async () => {
    const { keys, send } = limitedApp({ per_key_per_minute: 1000, per_ip_per_minute: 2 })
    expect((await send(keys[0]!, '203.0.113.7')).status).toBe(200)
    expect((await send(keys[0]!, '203.0.113.7')).status).toBe(200)
    await expectLimited(await send(keys[0]!, '203.0.113.7'))
    // Per IP means any key of the site: switching keys does not escape the limit.
    await expectLimited(await send(keys[1]!, '203.0.113.7'))
    expect((await send(keys[0]!, '203.0.113.8')).status).toBe(200)
  })

  it('counts an IPv6 client per /64', async () => {
    const { keys, send } = limitedApp({ per_key_per_minute: 1000, per_ip_per_minute: 1 })
    expect((await send(keys[0]!, '2001:db8:1:2::1')).status).toBe(200)
    await expectLimited(await send(keys[0]!, '2001:db8:1:2:ffff::9'))
    expect((await send(keys[0]!, '2001:db8:1:3::1')).status).toBe(200)
    expect(limiterIpKey('2001:0db8:0001:0002:0:0:0:1')).toBe('2001:db8:1:2::/64')
  })

  it('recovers once the window has slid past, exactly when Retry-After said', async () => {
    const { keys, clock, send } = limitedApp({ per_key_per_minute: 2, per_ip_per_minute: 1000 })
    expect((await send(keys[0]!)).status).toBe(200)
    expect((await send(keys[0]!)).status).toBe(200)
    const retryAfter = await expectLimited(await send(keys[0]!))
    clock.offsetMs = (retryAfter - 2) * 1000
    await expectLimited(await send(keys[0]!))
    clock.offsetMs = retryAfter * 1000
    expect((await send(keys[0]!)).status).toBe(200)
  })

  it('fails open when the limiter errors or hangs, and counts it', async () => {
    const broken: Limiter = { hit: async () => Promise.reject(new Error('overloaded')) }
    const a = limitedApp({ per_key_per_minute: 1, per_ip_per_minute: 1 }, broken)
    expect((await a.send(a.keys[0]!, '203.0.113.9')).status).toBe(200)
    expect((await a.send(a.keys[0]!, '203.0.113.9')).status).toBe(200)
    expect(a.guard.stats.failedOpen).toBe(2)

    const hanging: Limiter = { hit: () => new Promise(() => {}) }
    const b = limitedApp({ per_key_per_minute: 1, per_ip_per_minute: 1 }, hanging)
    const started = Date.now()
    expect((await b.send(b.keys[0]!)).status).toBe(200)
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(b.guard.stats.failedOpen).toBe(1)
  })
})

describe('SlidingWindow', () => {
  it('does not let 2× the limit through around a window boundary', () => {
    const w = new SlidingWindow()
    const t0 = 1_000_000_000_000 + 59_500
    for (let i = 0; i < 10; i++) expect(w.hit(t0, 10, 60_000).allowed).toBe(true)
    // One second later a fixed window would have reset; the sliding one has not.
    const refused = w.hit(t0 + 1_000, 10, 60_000)
    expect(refused.allowed).toBe(false)
    expect(refused.retryAfterMs).toBeGreaterThan(58_000)
    expect(w.hit(t0 + refused.retryAfterMs + 1_000, 10, 60_000).allowed).toBe(true)
  })

  it('frees only as many requests as slid out', () => {
    const w = new SlidingWindow()
    const t0 = 2_000_000_000_000
    for (let i = 0; i < 5; i++) w.hit(t0, 10, 60_000)
    for (let i = 0; i < 5; i++) w.hit(t0 + 30_000, 10, 60_000)
    expect(w.hit(t0 + 30_000, 10, 60_000).allowed).toBe(false)
    const later = t0 + 60_000
    for (let i = 0; i < 5; i++) expect(w.hit(later, 10, 60_000).allowed).toBe(true)
    expect(w.hit(later, 10, 60_000).allowed).toBe(false)
  })
})

describe('request rate as a bot signal', () => {
  it('feeds the per-IP count the limiter measured into the bot verdict', async () => {
    const { createEnricher } = await import('../src/enrich.ts')
    const { observedIpRate } = await import('../src/rate-limit/guard.ts')
    const keys = [`wk_${crypto.randomUUID()}`]
    const site = SiteSchema.parse({ site_id: `site_${crypto.randomUUID()}`, write_keys: keys })
    const clientIp = clientIpPolicy({ source: 'cloudflare', trustCfGeo: true })
    const guard = rateLimitGuard({
      limiter: locallyReconciledLimiter({ shared: durableObjectCounts(env.RATE_LIMITER) }),
      now: () => Date.now(),
      clientIp,
      nameSecret: 'test-limiter-names-0123456789abcdef',
    })
    const enrich = createEnricher({
      trustCfGeo: true,
      clientIp,
      visitorSecret: 'test-visitor-secret-0123456789abcdef',
      requestRate: (request) => observedIpRate.get(request),
    })
    const { app, namespace } = testApp(['ok'], { sites: staticSites([site]), guards: [guard], enrich })
    const browser = {
      authorization: `Bearer ${keys[0]}`,
      'cf-connecting-ip': '198.51.100.77',
      'user-agent':
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      'accept-language': 'en-US',
    }
    // 130 requests in a minute from one browser IP: past the "high rate" threshold (120).
    for (let i = 0; i < 130; i++)
      expect((await post(app, '/v1/batch', { batch: [makeEvent()] }, browser)).status).toBe(200)
    const { bridgeLog } = await import('./support/harness.ts')
    const log = await bridgeLog(namespace)
    const first = log[0]?.batch?.events[0]?.bot
    const last = log.at(-1)?.batch?.events[0]?.bot
    expect(first?.reasons ?? []).not.toContain('request_rate_high')
    expect(last?.reasons).toContain('request_rate_high')
  })
})
