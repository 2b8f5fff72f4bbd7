import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { tempDir } from '@sightline/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadDashboardDir } from '../src/adapters/dashboard-dir.ts'
import { createApp } from '../src/app.ts'
import { type ErrorJson, get, KEY_A, KEY_BOTH, keys, openTestEnv, type TestEnv } from './support.ts'

let env: TestEnv
let dir: Awaited<ReturnType<typeof tempDir>>
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(2000))})`
beforeAll(async () => {
  env = await openTestEnv({ seed: false })
  dir = await tempDir('sightline-dash-assets-')
  mkdirSync(join(dir.path, 'assets'))
  writeFileSync(
    join(dir.path, 'index.html'),
    '<!doctype html><script type="module" src="assets/main-ABCD1234.js"></script>',
  )
  writeFileSync(join(dir.path, 'assets', 'main-ABCD1234.js'), SCRIPT)
  writeFileSync(join(dir.path, '.build-stamp'), '{}')
})
afterAll(async () => {
  await env?.close()
  await dir?.cleanup()
})

const appWith = (dashboard: ReturnType<typeof loadDashboardDir>) =>
  createApp({ warehouse: env.warehouse, keys, clock: () => new Date(), dashboard })

describe('the dashboard files', () => {
  it('serves index.html uncached (ETag) and hashed assets as immutable, with their types', async () => {
    const app = appWith(loadDashboardDir(dir.path))
    const index = await app.request('/dashboard/')
    expect(index.status).toBe(200)
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(index.headers.get('cache-control')).toBe('no-cache')
    expect(index.headers.get('content-security-policy')).toContain("connect-src 'self'")
    expect(await index.text()).toContain('assets/main-ABCD1234.js')
    const etag = index.headers.get('etag')!
    expect((await app.request('/dashboard/', { headers: { 'if-none-match': etag } })).status).toBe(304)

    const js = await app.request('/dashboard/assets/main-ABCD1234.js', {
      headers: { 'accept-encoding': 'gzip, br' },
    })
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(js.headers.get('content-encoding')).toBe('gzip')
    const body = new Uint8Array(await js.arrayBuffer())
    expect(body.byteLength).toBeLessThan(SCRIPT.length / 4)
    expect(gunzipSync(body).toString()).toBe(SCRIPT)
    // Without Accept-Encoding: the plain bytes.
    const plain = await app.request('/dashboard/assets/main-ABCD1234.js')
    expect(plain.headers.get('content-encoding')).toBeNull()
    expect(await plain.text()).toBe(SCRIPT)
  })

  it('routes views to index.html, 404s unknown files, hides dotfiles, redirects / to the dashboard', async () => {
    const app = appWith(loadDashboardDir(dir.path))
    expect((await app.request('/dashboard/live')).headers.get('content-type')).toContain('text/html')
    expect((await app.request('/dashboard/assets/nope-ABCD1234.js')).status).toBe(404)
    expect((await app.request('/dashboard/.build-stamp')).status).toBe(404)
    expect((await app.request('/dashboard/../package.json')).status).toBe(404)
    const root = await app.request('/')
    expect(root.status).toBe(302)
    expect(root.headers.get('location')).toBe('/dashboard/')
  })

  it('without a build the API still answers and the dashboard says how to get one', async () => {
    const missing = loadDashboardDir(join(dir.path, 'not-there'))
    const app = appWith(missing)
    const page = await app.request('/dashboard/')
    expect(page.status).toBe(503)
    expect(await page.text()).toContain('npm start builds it')
    expect((await get(app, '/v1/sites', KEY_A)).status).toBe(200)
    expect((await get(env.app, '/dashboard/')).status).toBe(503)
  })
})

describe('GET /v1/sites', () => {
  it("lists the key's sites, and refuses a missing or unknown key with the error contract", async () => {
    // This app has no site settings: no zones to tell.
    expect(await (await get(env.app, '/v1/sites', KEY_A)).json()).toEqual({
      sites: ['site_a'],
      time_zones: {},
    })
    expect(await (await get(env.app, '/v1/sites', KEY_BOTH)).json()).toEqual({
      sites: ['site_a', 'site_b'],
      time_zones: {},
    })
    const missing = await get(env.app, '/v1/sites')
    expect(missing.status).toBe(401)
    expect(((await missing.json()) as ErrorJson).error.code).toBe('missing_read_key')
    const unknown = await get(env.app, '/v1/sites', 'rk_nobody_knows_this_key')
    expect(unknown.status).toBe(401)
    expect(((await unknown.json()) as ErrorJson).error.code).toBe('unknown_read_key')
  })

  it("tells each of the key's sites' time zones, and only theirs", async () => {
    const zones: Record<string, string> = { site_a: 'Europe/Berlin', site_b: 'America/New_York' }
    const app = createApp({
      warehouse: env.warehouse,
      keys,
      clock: () => new Date(),
      siteTimeZone: (site) => zones[site],
    })
    expect(await (await get(app, '/v1/sites', KEY_A)).json()).toEqual({
      sites: ['site_a'],
      time_zones: { site_a: 'Europe/Berlin' },
    })
    expect(await (await get(app, '/v1/sites', KEY_BOTH)).json()).toEqual({
      sites: ['site_a', 'site_b'],
      time_zones: zones,
    })
  })
})
