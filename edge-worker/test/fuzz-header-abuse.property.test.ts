import { env } from 'cloudflare:workers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { clientIpPolicy } from '../src/client-ip.ts'
import { durableObjectLimiter, rateLimitGuard } from '../src/rate-limit/guard.ts'
import { testApp } from './support/harness.ts'
import { abusiveHeaders, fakeSdkEvent } from './support/hostile.ts'

// Header abuse, IP spoofing and fake SDK identities against the full request path (origin
// check, rate limiter in a Durable Object, enrichment): every request gets a 2xx or a 4xx
// in the error contract within a deadline, never a 5xx or a hang.
const RUNS = 1_500
const DEADLINE_MS = 2_000

describe('fuzz: header abuse, spoofed IPs, fake SDK identities', () => {
  const clientIp = clientIpPolicy({ source: 'auto', trustCfGeo: true })
  const guard = rateLimitGuard({
    limiter: durableObjectLimiter(env.RATE_LIMITER),
    now: () => Date.now(),
    clientIp,
    nameSecret: 'test-limiter-names-0123456789abcdef',
  })
  const { app } = testApp(['ok'], {
    fetch: async () => new Response('{"ok":true}'),
    guards: [guard],
    preAuthGuards: [guard.beforeKey],
    clientIp,
  })

  it(`${RUNS} requests: 2xx or 4xx within ${DEADLINE_MS} ms, sane request ids`, async () => {
    await fc.assert(
      fc.asyncProperty(
        abusiveHeaders,
        fc.array(fakeSdkEvent, { minLength: 1, maxLength: 5 }),
        fc.constantFrom('/v1/batch', '/v1/track', '/e', '/v1/b', '/capture'),
        async (headers, events, path) => {
          const body = path === '/v1/track' ? events[0] : { batch: events, api_key: headers['x-write-key'] }
          const started = Date.now()
          const res = await app.request(path, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: JSON.stringify(body),
          })
          const text = await res.text()
          expect(Date.now() - started, path).toBeLessThan(DEADLINE_MS)
          expect(res.status, `${path} ${text.slice(0, 200)}`).toBeLessThan(500)
          expect(res.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/)
          if (res.status >= 400 && res.status !== 204) {
            const parsed = JSON.parse(text) as { error?: { code?: string; request_id?: string } }
            expect(parsed.error?.request_id).toBe(res.headers.get('x-request-id'))
          }
        },
      ),
      { numRuns: RUNS },
    )
  })
})
