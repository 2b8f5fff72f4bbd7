import { SDK_VERSION, SERVED_SCRIPTS } from '@sightline/sdk-browser/served'
import { describe, expect, it } from 'vitest'
import { PINNED_CACHE, SCRIPT_CACHE } from '../src/routes/script.ts'
import { type ErrorJson, testApp } from './support/harness.ts'

describe('the browser SDK script routes', () => {
  it('serves the core at /s.js as cacheable JavaScript with an ETag', async () => {
    const { app } = testApp(['ok'])
    const res = await app.request('/s.js')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe(SCRIPT_CACHE)
    expect(res.headers.get('etag')).toBe(SERVED_SCRIPTS['s.js']!.etag)
    expect(res.headers.get('x-sightline-sdk-version')).toBe(SDK_VERSION)
    const body = await res.text()
    expect(body).toBe(SERVED_SCRIPTS['s.js']!.body)
    expect(body).toContain('/v1/b')
  })

  it('answers 304 to a matching If-None-Match', async () => {
    const { app } = testApp(['ok'])
    const res = await app.request('/s.js', { headers: { 'if-none-match': SERVED_SCRIPTS['s.js']!.etag } })
    expect(res.status).toBe(304)
    expect(await res.text()).toBe('')
  })

  it('serves plugins beside the core and every file pinned to its version as immutable', async () => {
    const { app } = testApp(['ok'])
    const plugin = await app.request('/s/outbound.js')
    expect(plugin.status).toBe(200)
    expect(await plugin.text()).toBe(SERVED_SCRIPTS['outbound.js']!.body)
    const pinned = await app.request(`/s/${SDK_VERSION}/s.js`)
    expect(pinned.status).toBe(200)
    expect(pinned.headers.get('cache-control')).toBe(PINNED_CACHE)
    expect(await pinned.text()).toBe(SERVED_SCRIPTS['s.js']!.body)
  })

  it('answers 404 with the error contract for unknown scripts and versions', async () => {
    const { app } = testApp(['ok'])
    for (const path of ['/s/nope.js', '/s/0.0.0-old/s.js']) {
      const res = await app.request(path)
      expect(res.status, path).toBe(404)
      const body = (await res.json()) as ErrorJson
      expect(body.error.code, path).toBe('not_found')
    }
  })
})
