import { env } from 'cloudflare:workers'
import { entryKey, siteEntries } from '@sightline/metadata'
import { describe, expect, it } from 'vitest'
import { SiteSchema } from '../src/config.ts'
import { staticSites } from '../src/sites.ts'
import { ISOLATE_TTL_MS, kvSites } from '../src/sites-kv.ts'
import { type ErrorJson, makeEvent, post, testApp } from './support/harness.ts'

/** Writes a site's entries the way `admin kv sync` does. */
async function putSite(site: unknown): Promise<void> {
  for (const { key, value } of siteEntries([site])) await env.SITES_KV.put(key, value)
}

function fresh() {
  const clock = { now: Date.now() }
  const siteId = `site_${crypto.randomUUID()}`
  const keys = [`wk_${crypto.randomUUID()}`, `wk_${crypto.randomUUID()}`] as const
  const dir = kvSites(env.SITES_KV, { now: () => clock.now })
  return { clock, siteId, keys, dir }
}

describe('SiteDirectory over Workers KV (SITES_KV)', () => {
  it('finds a site by any of its write keys; unknown keys are undefined', async () => {
    const { siteId, keys, dir } = fresh()
    await putSite({ site_id: siteId, write_keys: [...keys], rate_limit: { per_ip_per_minute: 5 } })
    const site = await dir.byWriteKey(keys[1])
    expect(site?.siteId).toBe(siteId)
    expect(site?.settings.rate_limit).toEqual({ per_key_per_minute: 60_000, per_ip_per_minute: 5 })
    expect(await dir.byWriteKey(`wk_${crypto.randomUUID()}`)).toBeUndefined()
  })

  it('serves from the isolate cache within the TTL, then sees the revocation', async () => {
    const { clock, siteId, keys, dir } = fresh()
    await putSite({ site_id: siteId, write_keys: [...keys] })
    expect((await dir.byWriteKey(keys[0]))?.settings.revoked_keys).toEqual([])
    await putSite({ site_id: siteId, write_keys: [keys[1]], revoked_keys: [keys[0]] })
    clock.now += ISOLATE_TTL_MS - 1
    expect((await dir.byWriteKey(keys[0]))?.settings.revoked_keys).toEqual([])
    clock.now += 1
    expect((await dir.byWriteKey(keys[0]))?.settings.revoked_keys).toEqual([keys[0]])
    // The promise docs/deploy.md makes: KV's 30 s cacheTtl + this TTL stay within 60 s.
    expect(30_000 + ISOLATE_TTL_MS).toBeLessThanOrEqual(50_000)
  })

  it('caches misses too, and falls back to static sites when KV has no entry', async () => {
    const { clock, keys } = fresh()
    const fallbackSite = SiteSchema.parse({ site_id: 'from_vars', write_keys: [keys[0]] })
    const dir = kvSites(env.SITES_KV, { now: () => clock.now, fallback: staticSites([fallbackSite]) })
    expect((await dir.byWriteKey(keys[0]))?.siteId).toBe('from_vars')
    expect(await dir.byWriteKey(keys[1])).toBeUndefined()
    await putSite({ site_id: 'from_kv', write_keys: [keys[0], keys[1]] })
    expect((await dir.byWriteKey(keys[0]))?.siteId).toBe('from_vars')
    clock.now += ISOLATE_TTL_MS
    expect((await dir.byWriteKey(keys[0]))?.siteId).toBe('from_kv')
    expect((await dir.byWriteKey(keys[1]))?.siteId).toBe('from_kv')
  })

  it('refuses a key whose entry is invalid or belongs to another key', async () => {
    const { keys, dir } = fresh()
    await env.SITES_KV.put(entryKey(keys[0]), '{"site_id":')
    await env.SITES_KV.put(entryKey(keys[1]), JSON.stringify({ site_id: 's', write_keys: ['wk_other'] }))
    expect(await dir.byWriteKey(keys[0])).toBeUndefined()
    expect(await dir.byWriteKey(keys[1])).toBeUndefined()
  })

  it('a revoked key gets 401 revoked_write_key; the replacement key works', async () => {
    const { siteId, keys, dir } = fresh()
    await putSite({ site_id: siteId, write_keys: [keys[1]], revoked_keys: [keys[0]] })
    const { app } = testApp(['ok'], { sites: dir, enrich: (events) => events })
    const refused = await post(
      app,
      '/v1/batch',
      { batch: [makeEvent()] },
      { authorization: `Bearer ${keys[0]}` },
    )
    expect(refused.status).toBe(401)
    const body = (await refused.json()) as ErrorJson
    expect(body.error.code).toBe('revoked_write_key')
    expect(body.error.message).toMatch(/revoked/)
    expect(body.error.docs).toMatch(/errors\.md#revoked_write_key$/)
    const ok = await post(app, '/v1/batch', { batch: [makeEvent()] }, { authorization: `Bearer ${keys[1]}` })
    expect(ok.status).toBe(200)
  })

  it('the static directory answers revoked keys the same way', async () => {
    const site = SiteSchema.parse({ site_id: 's1', write_keys: ['wk_new'], revoked_keys: ['wk_old'] })
    const { app } = testApp(['ok'], { sites: staticSites([site]), enrich: (events) => events })
    const res = await post(app, '/v1/batch', { batch: [makeEvent()] }, { 'x-write-key': 'wk_old' })
    expect(res.status).toBe(401)
    expect(((await res.json()) as ErrorJson).error.code).toBe('revoked_write_key')
  })
})

describe('site directory outage', () => {
  it('answers 503 site_config_unavailable with Retry-After when the directory throws', async () => {
    const { testApp, post, makeEvent } = await import('./support/harness.ts')
    const { app } = testApp(['ok'], {
      sites: {
        byWriteKey: async () => {
          throw new Error('KV unreachable')
        },
      },
    })
    const res = await post(app, '/v1/batch', { batch: [makeEvent()] }, { authorization: 'Bearer wk_any' })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBeTruthy()
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('site_config_unavailable')
  })
})
