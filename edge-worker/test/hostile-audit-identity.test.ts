import { env } from 'cloudflare:workers'
import type { EdgeBatch } from '@sightline/contracts'
import { describe, expect, it } from 'vitest'
import { clientIpPolicy } from '../src/client-ip.ts'
import { SiteSchema } from '../src/config.ts'
import { durableObjectLimiter, type Limiter, rateLimitGuard } from '../src/rate-limit/guard.ts'
import { staticSites } from '../src/sites.ts'
import { bridgeLog, type ErrorJson, makeEvent, post, testApp } from './support/harness.ts'

// Regression tests for the hostile audit's identity findings (issue 7): fake server-SDK
// identities, spoofed client IPs and the rate limiter's order and names.

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
const NAMES = 'test-limiter-names-0123456789abcdef'

function site(settings: Record<string, unknown> = {}) {
  const key = `wk_${crypto.randomUUID()}`
  return {
    key,
    config: SiteSchema.parse({ site_id: `site_${crypto.randomUUID()}`, write_keys: [key], ...settings }),
  }
}

async function forwarded(namespace: string): Promise<EdgeBatch> {
  for (let i = 0; i < 50; i++) {
    const [attempt] = await bridgeLog(namespace)
    if (attempt?.batch) return attempt.batch
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error('the bridge got nothing')
}

describe('attack: a client claiming to be a server SDK', () => {
  const fakes: Array<[string, Record<string, string>, Record<string, unknown>]> = [
    [
      'context.library.name "analytics-node" from curl',
      { 'user-agent': 'curl/8.5.0' },
      { library: { name: 'analytics-node' } },
    ],
    [
      'a UA "posthog-node/4.0 python-requests HeadlessChrome"',
      { 'user-agent': 'posthog-node/4.0 python-requests HeadlessChrome' },
      {},
    ],
    [
      'context.library.name "@segment/analytics-node" with no UA',
      {},
      { library: { name: '@segment/analytics-node' } },
    ],
  ]
  for (const [what, headers, context] of fakes) {
    it(`${what}: still judged a bot, refused by block_bots, geo not from context.ip`, async () => {
      const s = site({ block_bots: true })
      const { app, namespace } = testApp(['ok'], { sites: staticSites([s.config]) })
      const event = makeEvent({ context: { ...context, userAgent: CHROME, ip: '81.2.69.142' } })
      const res = await post(
        app,
        '/v1/batch',
        { batch: [event] },
        { authorization: `Bearer ${s.key}`, ...headers },
      )
      expect(res.status).toBe(403)
      expect(((await res.json()) as ErrorJson).error.code).toBe('bot_blocked')
      const batch = await forwarded(namespace)
      expect(batch.events).toHaveLength(0)
      expect(batch.rejected?.[0]?.code).toBe('bot_blocked')
    })
  }

  it('a browser claiming a server library is a direct request: its own headers count, context.ip does not', async () => {
    const s = site()
    const { app, namespace } = testApp(['ok'], { sites: staticSites([s.config]) })
    const event = makeEvent({
      context: { library: { name: 'analytics-node' }, userAgent: CHROME, ip: '81.2.69.142' },
    })
    // No Accept-Language, from a datacenter: two weak signals a real browser visit rarely has.
    const res = await app.fetch(
      new Request('http://edge/v1/batch', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${s.key}`,
          'user-agent': CHROME,
        },
        body: JSON.stringify({ batch: [event] }),
        cf: { colo: 'IAD', country: 'US', asn: 16509 },
      } as RequestInit),
    )
    expect(res.status).toBe(200)
    const [stored] = (await forwarded(namespace)).events
    expect(stored?.bot?.is_bot).toBe(true)
    expect(stored?.bot?.reasons).toEqual(
      expect.arrayContaining(['missing_accept_language', 'datacenter_asn']),
    )
    expect(stored?.geo?.country).toBe('US')
    expect(stored?.geo_ip).toBeUndefined()
  })

  it('a genuine relay (server UA, end-user UA in context) keeps the documented behaviour', async () => {
    const s = site()
    const { app, namespace } = testApp(['ok'], { sites: staticSites([s.config]) })
    const event = makeEvent({
      context: { library: { name: 'posthog-node' }, userAgent: CHROME, ip: '81.2.69.142' },
    })
    const res = await post(
      app,
      '/v1/batch',
      { batch: [event] },
      { authorization: `Bearer ${s.key}`, 'user-agent': 'posthog-node/4.0.1' },
    )
    expect(res.status).toBe(200)
    const [stored] = (await forwarded(namespace)).events
    expect(stored?.bot).toEqual({ is_bot: false, score: 0, reasons: [] })
    expect(stored?.device?.browser).toBe('Chrome')
    expect(stored?.geo_ip).toBe('81.2.69.0')
  })
})

describe('attack: a spoofed CF-Connecting-IP off Cloudflare', () => {
  it('without request.cf (bare workerd, wrangler dev) a client CF-Connecting-IP sets neither geo nor the per-IP count', async () => {
    const s = site({ rate_limit: { per_key_per_minute: 1_000, per_ip_per_minute: 2 } })
    const clientIp = clientIpPolicy({ source: 'auto', trustCfGeo: true })
    const guard = rateLimitGuard({
      limiter: durableObjectLimiter(env.RATE_LIMITER),
      now: () => Date.now(),
      clientIp,
      nameSecret: NAMES,
    })
    const { app, namespace } = testApp(['ok'], { sites: staticSites([s.config]), guards: [guard], clientIp })
    // Rotating the header gave the auditor extra requests past the per-IP limit: now it is not an IP at all.
    for (let i = 0; i < 4; i++) {
      const res = await post(
        app,
        '/v1/batch',
        { batch: [makeEvent()] },
        { authorization: `Bearer ${s.key}`, 'cf-connecting-ip': `81.2.69.${i}` },
      )
      expect(res.status).toBe(200)
    }
    const batch = await forwarded(namespace)
    expect(batch.events[0]?.geo_ip).toBeUndefined()
    expect(batch.events[0]?.geo).toBeUndefined()
  })

  it('CLIENT_IP_SOURCE=none (the embedded edge) ignores every client IP header', () => {
    const none = clientIpPolicy({ source: 'none', trustCfGeo: true })
    const request = new Request('http://edge/', {
      headers: {
        'cf-connecting-ip': '81.2.69.142',
        'x-forwarded-for': '81.2.69.142',
        'x-real-ip': '81.2.69.142',
      },
      cf: { country: 'NL', colo: 'AMS' },
    } as RequestInit)
    expect(none(request)).toBeUndefined()
  })

  it('proxy mode believes X-Forwarded-For only with the proxy secret, and only its right-most entry', () => {
    const proxySecret = 'test-proxy-secret-0123456789abcdef'
    const proxy = clientIpPolicy({ source: 'proxy', proxySecret, trustCfGeo: false })
    const req = (headers: Record<string, string>) => new Request('http://edge/', { headers })
    expect(proxy(req({ 'x-forwarded-for': '81.2.69.142' }))).toBeUndefined()
    expect(
      proxy(req({ 'x-forwarded-for': '81.2.69.142', 'x-sightline-proxy-secret': 'wrong' })),
    ).toBeUndefined()
    expect(
      proxy(req({ 'cf-connecting-ip': '81.2.69.142', 'x-sightline-proxy-secret': proxySecret })),
    ).toBeUndefined()
    expect(
      proxy(req({ 'x-forwarded-for': '6.6.6.6, 81.2.69.142', 'x-sightline-proxy-secret': proxySecret })),
    ).toBe('81.2.69.142')
    expect(
      proxy(
        req({
          'x-real-ip': '81.2.69.7',
          'x-forwarded-for': '6.6.6.6',
          'x-sightline-proxy-secret': proxySecret,
        }),
      ),
    ).toBe('81.2.69.7')
  })

  it('with Cloudflare’s request.cf the header is the platform’s and is used', () => {
    const auto = clientIpPolicy({ source: 'auto', trustCfGeo: true })
    const onCloudflare = new Request('http://edge/', {
      headers: { 'cf-connecting-ip': '81.2.69.142' },
      cf: { country: 'NL', colo: 'AMS' },
    } as RequestInit)
    expect(auto(onCloudflare)).toBe('81.2.69.142')
    const placeholder = { colo: 'DFW', asn: 395747, postalCode: '78701', asOrganization: '', country: 'US' }
    expect(
      auto(
        new Request('http://edge/', {
          headers: { 'cf-connecting-ip': '81.2.69.142' },
          cf: placeholder,
        } as RequestInit),
      ),
    ).toBeUndefined()
  })
})

describe('attack: rate limiter order and names', () => {
  function recording(): Limiter & { names: string[] } {
    const real = durableObjectLimiter(env.RATE_LIMITER)
    const names: string[] = []
    return {
      names,
      hit: (name, ...rest) => {
        names.push(name)
        return real.hit(name, ...rest)
      },
    }
  }
  const cloudflare = clientIpPolicy({ source: 'cloudflare', trustCfGeo: true })

  it('per-IP refusals do not use up the write key’s quota', async () => {
    const s = site({ rate_limit: { per_key_per_minute: 3, per_ip_per_minute: 1 } })
    const guard = rateLimitGuard({
      limiter: durableObjectLimiter(env.RATE_LIMITER),
      now: () => Date.now(),
      clientIp: cloudflare,
      nameSecret: NAMES,
    })
    const { app } = testApp(['ok'], { sites: staticSites([s.config]), guards: [guard], enrich: (e) => e })
    const from = (ip: string) =>
      post(
        app,
        '/v1/batch',
        { batch: [makeEvent()] },
        { authorization: `Bearer ${s.key}`, 'cf-connecting-ip': ip },
      )
    expect((await from('203.0.113.1')).status).toBe(200)
    for (let i = 0; i < 5; i++) expect((await from('203.0.113.1')).status).toBe(429)
    // The key spent 1 of 3: two other clients still get in.
    expect((await from('203.0.113.2')).status).toBe(200)
    expect((await from('203.0.113.3')).status).toBe(200)
    expect((await from('203.0.113.4')).status).toBe(429)
  })

  it('a header-keyed request over its limit is refused before the body is read', async () => {
    const s = site({ rate_limit: { per_key_per_minute: 1, per_ip_per_minute: 100 } })
    const guard = rateLimitGuard({
      limiter: durableObjectLimiter(env.RATE_LIMITER),
      now: () => Date.now(),
      clientIp: cloudflare,
      nameSecret: NAMES,
    })
    const { app } = testApp(['ok'], { sites: staticSites([s.config]), guards: [guard], enrich: (e) => e })
    expect(
      (await post(app, '/v1/batch', { batch: [makeEvent()] }, { authorization: `Bearer ${s.key}` })).status,
    ).toBe(200)
    let pulled = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1
        controller.enqueue(new TextEncoder().encode('{"batch":['))
        if (pulled > 100) controller.close()
      },
    })
    const res = await post(app, '/v1/batch', body, { authorization: `Bearer ${s.key}` })
    expect(res.status).toBe(429)
    // The stream's first chunk may be buffered by the runtime; nothing beyond it was read.
    expect(pulled).toBeLessThanOrEqual(2)
  })

  it('a body-keyed (PostHog api_key) flood from one IP is braked before the body is parsed', async () => {
    const s = site()
    const guard = rateLimitGuard({
      limiter: durableObjectLimiter(env.RATE_LIMITER),
      now: () => Date.now(),
      clientIp: cloudflare,
      nameSecret: NAMES,
      anonymousPerIpPerMinute: 2,
    })
    const { app } = testApp(['ok'], {
      sites: staticSites([s.config]),
      guards: [guard],
      preAuthGuards: [guard.beforeKey],
      enrich: (e) => e,
    })
    const ip = `198.51.100.${Math.floor(Math.random() * 200)}`
    const send = (body: string) =>
      app.request('/e', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
        body,
      })
    const valid = JSON.stringify({ api_key: s.key, event: 'x', distinct_id: 'd', uuid: crypto.randomUUID() })
    expect((await send(valid)).status).toBe(200)
    expect((await send(valid)).status).toBe(200)
    // Not JSON at all: refused for the rate, never parsed (that would be a 400).
    const res = await send('{not json')
    expect(res.status).toBe(429)
  })

  it('limiter objects are named by a keyed hash, never by the raw IP or write key', async () => {
    const s = site()
    const limiter = recording()
    const guard = rateLimitGuard({ limiter, now: () => Date.now(), clientIp: cloudflare, nameSecret: NAMES })
    const { app } = testApp(['ok'], { sites: staticSites([s.config]), guards: [guard], enrich: (e) => e })
    const hostile = '8.8.8.8'
    await post(
      app,
      '/v1/batch',
      { batch: [makeEvent()] },
      { authorization: `Bearer ${s.key}`, 'cf-connecting-ip': hostile },
    )
    expect(limiter.names).toHaveLength(2)
    for (const name of limiter.names) {
      expect(name).toMatch(/^[0-9a-f]{64}$/)
      expect(name).not.toContain(hostile)
      expect(name).not.toContain(s.key)
    }
  })
})
