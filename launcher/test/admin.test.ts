import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memorySiteStore, rotateKeys, type Site, SiteSchema, WRITE_KEY_PREFIX } from '@sightline/metadata'
import { afterAll, describe, expect, it } from 'vitest'
import { SiteSchema as EdgeSiteSchema } from '../../edge-worker/src/config.ts'
import { applyKv, listKvKeys } from '../src/admin-kv.ts'
import { kvEntriesFor, kvPlan } from '../src/admin-state.ts'

// The site operations themselves are tested in @sightline/metadata; here: what reaches the edge.
const demo: Site = SiteSchema.parse({
  site_id: 'demo',
  name: 'Demo',
  write_keys: ['wk_b'],
  revoked_keys: ['wk_a'],
  read_keys: ['rk_a'],
  retention_days: 30,
  allowed_origins: ['https://demo.example'],
  privacy: { keep_ip: false, cookieless: true },
})

describe('admin: what SITES_KV holds', () => {
  it('computes one KV entry per current and revoked key, each the site as the edge reads it', () => {
    const entries = kvEntriesFor([demo])
    expect(entries.map((e) => e.key)).toEqual(['write_key:wk_a', 'write_key:wk_b'])
    for (const e of entries) {
      const value = JSON.parse(e.value)
      expect(value).toMatchObject({
        site_id: 'demo',
        write_keys: ['wk_b'],
        revoked_keys: ['wk_a'],
        allowed_origins: ['https://demo.example'],
        privacy: { keep_ip: false, cookieless: true },
        block_bots: false,
      })
      // Secret read keys never reach the edge, nor what only the warehouse needs.
      expect(value.read_keys).toBeUndefined()
      expect(value.retention_days).toBeUndefined()
      // The edge's own schema reads the entry back unchanged: one format, two ends.
      expect(EdgeSiteSchema.parse(value)).toEqual(value)
    }
    const plan = kvPlan(entries, ['write_key:wk_a', 'write_key:wk_gone', 'other:x'], WRITE_KEY_PREFIX)
    expect(plan.remove).toEqual(['write_key:wk_gone'])
    expect(plan.put).toHaveLength(2)
  })
})

describe('admin: kv sync against wrangler local persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-admin-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('puts every entry and deletes entries of removed keys', async () => {
    const target = { local: true, persistTo: join(dir, 'wrangler-state') }
    const store = memorySiteStore([demo])
    await applyKv(target, kvEntriesFor(await store.list()), [])
    expect(await listKvKeys(target, WRITE_KEY_PREFIX)).toEqual(['write_key:wk_a', 'write_key:wk_b'])
    expect((await rotateKeys(store, 'demo', () => 'wk_new')).ok).toBe(true)
    // wk_b forgotten entirely (not just revoked): its entry must go.
    const next = (await store.get('demo'))!
    await store.update({ ...next, revoked_keys: ['wk_a'] })
    const plan = kvPlan(
      kvEntriesFor(await store.list()),
      await listKvKeys(target, WRITE_KEY_PREFIX),
      WRITE_KEY_PREFIX,
    )
    await applyKv(target, plan.put, plan.remove)
    expect(await listKvKeys(target, WRITE_KEY_PREFIX)).toEqual(['write_key:wk_a', 'write_key:wk_new'])
  }, 60_000)

  it('runs as a command over the state file', () => {
    const run = (...args: string[]) =>
      execFileSync(
        process.execPath,
        ['--import', 'tsx', 'launcher/src/admin.ts', '--data-dir', dir, ...args],
        {
          cwd: join(import.meta.dirname, '..', '..'),
          encoding: 'utf8',
        },
      )
    expect(run('sites', 'add', 'shop')).toMatch(/added shop/)
    expect(run('sites', 'retention', 'shop', '30')).toMatch(/30 days/)
    expect(run('sites', 'list')).toMatch(/^shop\t.*retention: 30 d/m)
    const path = join(dir, 'sightline.json')
    const state = JSON.parse(readFileSync(path, 'utf8')) as { sites: Site[] }
    expect(state.sites.map((s) => [s.site_id, s.retention_days])).toEqual([
      ['demo', 395],
      ['shop', 30],
    ])
    // It holds every key of the install: owner-only, in an owner-only directory.
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
  }, 30_000)
})
