import { describe, expect, it } from 'vitest'
import { SiteSchema } from '../src/config.ts'
import { originAllowed } from '../src/cors.ts'
import { staticSites } from '../src/sites.ts'
import { bridgeLog, type ErrorJson, makeEvent, post, testApp } from './support/harness.ts'

/** A site that only takes events from its own shop (and the shop's subdomains). */
function restrictedApp() {
  const site = SiteSchema.parse({
    site_id: 'site_cors',
    write_keys: ['wk_cors'],
    allowed_origins: ['https://shop.example', 'https://*.shop.example'],
  })
  return testApp(['ok'], { sites: staticSites([site]) })
}

/** A one-event batch for the restricted site, sent by a page on `origin`. */
function postFrom(app: ReturnType<typeof restrictedApp>['app'], origin: string) {
  return post(app, '/v1/batch', { batch: [makeEvent()] }, { authorization: 'Bearer wk_cors', origin })
}

describe('CORS', () => {
  it('answers any preflight generically, reflecting the origin, cached for a day', async () => {
    const { app } = restrictedApp()
    for (const path of ['/v1/batch', '/e/', '/v1/track']) {
      const res = await app.request(path, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://anything.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      })
      expect(res.status, path).toBe(204)
      expect(res.headers.get('access-control-allow-origin')).toBe('https://anything.example')
      expect(res.headers.get('access-control-allow-methods')).toContain('POST')
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization')
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type')
      expect(res.headers.get('access-control-max-age')).toBe('86400')
      expect(res.headers.get('vary')).toContain('Origin')
    }
  })

  it('reflects an allowed origin on the real request and exposes X-Request-Id', async () => {
    const { app, namespace } = restrictedApp()
    const res = await postFrom(app, 'https://www.shop.example')
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://www.shop.example')
    expect(res.headers.get('access-control-allow-credentials')).toBe('true')
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Request-Id')
    expect(res.headers.get('x-request-id')).toBeTruthy()
    expect(await bridgeLog(namespace)).toHaveLength(1)
  })

  it('refuses an origin the site does not allow with 403 forbidden_origin, ingesting nothing', async () => {
    const { app, namespace } = restrictedApp()
    const res = await postFrom(app, 'https://evil.example')
    expect(res.status).toBe(403)
    const body = (await res.json()) as ErrorJson
    expect(body.error.code).toBe('forbidden_origin')
    expect(body.error.docs).toContain('#forbidden_origin')
    // Readable by the page, so its developer sees why.
    expect(res.headers.get('access-control-allow-origin')).toBe('https://evil.example')
    // The beacon is checked the same way (sendBeacon sends an Origin).
    const beacon = await app.request('/v1/b?k=wk_cors', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
      body: JSON.stringify({ batch: [makeEvent()] }),
    })
    expect(beacon.status).toBe(403)
    expect(await bridgeLog(namespace)).toHaveLength(0)
  })

  it('lets requests without an Origin through (servers, pixels) and allows any origin by default', async () => {
    const restricted = restrictedApp()
    const server = await post(
      restricted.app,
      '/v1/batch',
      { batch: [makeEvent()] },
      { authorization: 'Bearer wk_cors' },
    )
    expect(server.status).toBe(200)
    expect(server.headers.get('access-control-allow-origin')).toBeNull()
    const { app } = testApp(['ok'])
    const open = await post(app, '/v1/batch', { batch: [makeEvent()] }, { origin: 'https://any.example' })
    expect(open.status).toBe(200)
    expect(open.headers.get('access-control-allow-origin')).toBe('https://any.example')
  })

  it('matches origins exactly, by subdomain pattern, or by *', () => {
    const allowed = ['https://shop.example', 'https://*.shop.example']
    expect(originAllowed('https://shop.example', allowed)).toBe(true)
    expect(originAllowed('https://SHOP.example/', allowed)).toBe(true)
    expect(originAllowed('https://a.b.shop.example', allowed)).toBe(true)
    expect(originAllowed('http://shop.example', allowed)).toBe(false)
    expect(originAllowed('https://evilshop.example', allowed)).toBe(false)
    expect(originAllowed('https://shop.example.evil', allowed)).toBe(false)
    expect(originAllowed('null', allowed)).toBe(false)
    expect(originAllowed('null', ['*'])).toBe(true)
  })
})
