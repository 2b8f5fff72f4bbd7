import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { kvSites } from '../src/sites-kv.ts'
import { bridgeLog, type ErrorJson, makeEvent, post, testApp, WRITE_KEY } from './support/harness.ts'

// Regression tests for the hostile audit's request-level findings (issue 7), each named
// after the attack it replays.

describe('attack: a hostile cf-ray echoed as the request id', () => {
  it('a client cf-ray with markup is not copied into X-Request-Id or the error body', async () => {
    const { app } = testApp()
    const ray = '<script>alert(1)</script>'
    const res = await app.request('/v1/batch', { method: 'POST', headers: { 'cf-ray': ray } })
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
    const id = res.headers.get('x-request-id') ?? ''
    expect(id).not.toContain('<')
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    const body = (await res.json()) as ErrorJson
    expect(body.error.request_id).toBe(id)
  })

  it('an overlong cf-ray is replaced; a well-formed one is kept', async () => {
    const { app } = testApp()
    const long = await app.request('/v1/batch', { method: 'POST', headers: { 'cf-ray': 'a'.repeat(101) } })
    expect(long.headers.get('x-request-id')).not.toBe('a'.repeat(101))
    const good = await app.request('/v1/batch', {
      method: 'POST',
      headers: { 'cf-ray': '8f1c2a3b4d5e6f70-AMS' },
    })
    expect(good.headers.get('x-request-id')).toBe('8f1c2a3b4d5e6f70-AMS')
  })

  it('the misconfigured-edge answer does not echo a hostile cf-ray either', async () => {
    const { default: worker } = await import('../src/index.ts')
    const res = await worker.fetch(
      new Request('http://edge/v1/batch', { method: 'POST', headers: { 'cf-ray': '"><img src=x>' } }),
      { BRIDGES: 'not json' },
      {} as ExecutionContext,
    )
    expect(res.status).toBe(500)
    expect(res.headers.get('x-request-id')).not.toContain('<')
    expect(await res.text()).not.toContain('<img')
  })
})

describe('attack: HEAD on the pixel to record views', () => {
  it('HEAD /v1/p.gif records nothing and answers 405 with Allow: GET', async () => {
    const { app, namespace } = testApp()
    const res = await app.request(`/v1/p.gif?k=${WRITE_KEY}&e=Headed`, { method: 'HEAD' })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET')
    // Nothing reached a bridge (the pixel's GET still does, as the control).
    expect(await bridgeLog(namespace)).toEqual([])
    expect((await app.request(`/v1/p.gif?k=${WRITE_KEY}&e=Got`)).status).toBe(200)
    expect((await bridgeLog(namespace)).length).toBe(1)
  })
})

describe('attack: odd HTTP methods at the edge', () => {
  it('CONNECT (a method workerd cannot even build a Request for) gets 405 in the error contract', async () => {
    const { default: worker } = await import('../src/index.ts')
    // What the runtime hands the Worker for a raw `CONNECT host:443` request line.
    const connect = {
      method: 'CONNECT',
      url: 'http://edge/v1/batch',
      headers: new Headers(),
    } as unknown as Parameters<typeof worker.fetch>[0]
    const res = await worker.fetch(connect, {}, {} as ExecutionContext)
    expect(res.status).toBe(405)
    const body = (await res.json()) as ErrorJson
    expect(body.error.code).toBe('method_not_allowed')
    expect(body.error.request_id).toBe(res.headers.get('x-request-id'))
  })

  for (const method of ['CONNECT', 'TRACE', 'PROPFIND', 'PATCH', 'DELETE', 'PUT']) {
    it(`${method} on an ingestion path and elsewhere gets a 4xx in the error contract`, async () => {
      const { exports } = await import('cloudflare:workers')
      for (const path of ['/v1/batch', '/v1/p.gif', '/e', '/nowhere']) {
        let res: Response
        try {
          res = await exports.default.fetch(`http://edge${path}`, { method })
        } catch (err) {
          // workerd itself refuses to build some requests (CONNECT, TRACE): nothing reaches us.
          expect(String(err)).toMatch(/method|invalid|forbidden|not supported/i)
          continue
        }
        expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400)
        expect(res.status, `${method} ${path}`).toBeLessThan(500)
        const body = (await res.json()) as ErrorJson
        expect(['method_not_allowed', 'not_found']).toContain(body.error.code)
      }
    })
  }
})

describe('attack: an overlong write key reads as our outage', () => {
  // Workers KV is where the 503 came from: its keys are limited to 512 bytes.
  const kvApp = async () => testApp(['ok'], { sites: kvSites(env.SITES_KV, { now: () => Date.now() }) }).app

  for (const length of [502, 503, 600, 5_000]) {
    it(`a ${length}-character write key gets 401 unknown_write_key, never a retryable 5xx`, async () => {
      const app = await kvApp()
      const key = 'k'.repeat(length)
      for (const headers of [{ authorization: `Bearer ${key}` }, { 'x-write-key': key }] as Record<
        string,
        string
      >[]) {
        const res = await post(app, '/v1/batch', { batch: [makeEvent()] }, headers)
        expect(res.status).toBe(401)
        expect(res.headers.get('retry-after')).toBeNull()
        expect(((await res.json()) as ErrorJson).error.code).toBe('unknown_write_key')
      }
      // Carried in the body (PostHog's api_key) the same holds.
      const res = await app.request('/e', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ api_key: key, event: 'x', distinct_id: 'd' }),
      })
      expect(res.status).toBe(401)
    })
  }

  it('a key with control characters or multibyte padding is refused as unknown', async () => {
    const app = await kvApp()
    for (const key of ['wk_\u0000nul', 'wk_\nnewline', '€'.repeat(180)]) {
      const res = await app.request('/e', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ api_key: key, event: 'x', distinct_id: 'd' }),
      })
      expect(res.status, JSON.stringify(key).slice(0, 20)).toBe(401)
    }
  })
})
