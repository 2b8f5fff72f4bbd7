import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Site, SiteSchema, WRITE_KEY_PREFIX } from '@sightline/metadata'
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
    await applyKv(target, kvEntriesFor([demo]), [])
    expect(await listKvKeys(target, WRITE_KEY_PREFIX)).toEqual(['write_key:wk_a', 'write_key:wk_b'])
    // Rotated (wk_new), and wk_b forgotten entirely (not just revoked): its entry must go.
    const next: Site = { ...demo, write_keys: ['wk_new'], revoked_keys: ['wk_a'] }
    const plan = kvPlan(kvEntriesFor([next]), await listKvKeys(target, WRITE_KEY_PREFIX), WRITE_KEY_PREFIX)
    await applyKv(target, plan.put, plan.remove)
    expect(await listKvKeys(target, WRITE_KEY_PREFIX)).toEqual(['write_key:wk_a', 'write_key:wk_new'])
  }, 60_000)

  it('runs as a command over a stopped install: imports sightline.json once, sets every setting', () => {
    const run = (...args: string[]) =>
      execFileSync(
        process.execPath,
        ['--import', 'tsx', 'launcher/src/admin.ts', '--data-dir', dir, ...args],
        {
          cwd: join(import.meta.dirname, '..', '..'),
          encoding: 'utf8',
        },
      )
    // A new data dir: the demo site is made, then imported into the metadata database.
    expect(run('sites', 'list')).toMatch(/^demo\tDemo site/m)
    const path = join(dir, 'sightline.json')
    const state = JSON.parse(readFileSync(path, 'utf8'))
    expect(state.sites).toBeUndefined()
    expect(state.local_read_keys.demo).toMatch(/^rk_/)
    expect(
      run('sites', 'create', 'shop', '--time-zone', 'Europe/Berlin', '--events-per-minute', '600'),
    ).toMatch(/added shop: .*read key rk_\S+ \(shown once/)
    // The read key is nowhere on disk in the clear: not in the state file, not in the database.
    expect(readFileSync(path, 'utf8')).not.toMatch(/"shop"/)
    for (const [setting, value] of [
      ['retention_days', '30'],
      ['allowed_origins', 'https://shop.example'],
      ['rate_limit.per_key_per_minute', '1000'],
      ['rate_limit.per_ip_per_minute', '50'],
      ['keep_ip', 'on'],
      ['cookieless', 'on'],
      ['block_bots', 'on'],
      ['name', 'The Shop'],
      ['time_zone', 'Asia/Tokyo'],
    ])
      expect(run('sites', 'set', 'shop', setting!, value!)).toMatch(
        new RegExp(`${setting!.replace('.', '\\.')} =`),
      )
    const shown = run('sites', 'show', 'shop')
    for (const line of [
      /^shop\tThe Shop/m,
      /time_zone\s+Asia\/Tokyo/,
      /retention_days\s+30/,
      /allowed_origins\s+https:\/\/shop\.example/,
      /per_key_per_minute 1000, per_ip_per_minute 50/,
      /keep_ip true\s+cookieless true\s+block_bots true/,
      /events_per_minute 600/,
    ])
      expect(shown).toMatch(line)
    expect(run('sites', 'set', 'shop', 'events_per_minute', '1200')).toMatch(/events_per_minute = 1200/)
    expect(() => run('sites', 'set', 'shop', 'events_per_minute', '100')).toThrow(/at least 500/)
    expect(() => run('sites', 'set', 'shop', 'block_bots', 'maybe')).toThrow(/block_bots: cannot use/)
    expect(run('goals', 'create', 'shop', 'Signup', '--event', 'signup')).toMatch(/goal 1 "Signup" created/)
    expect(run('goals', 'list', 'shop')).toMatch(/^1\tSignup\tevent signup$/m)
    // It holds every key of the install: owner-only, in an owner-only directory.
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
  }, 120_000)

  it('explains itself: --help for the command and each group, a usage error otherwise', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'launcher/src/admin.ts', '--data-dir', dir, ...args], {
        cwd: join(import.meta.dirname, '..', '..'),
        encoding: 'utf8',
      })
    const help = run('--help')
    expect(help.status).toBe(0)
    for (const group of ['sites', 'keys', 'goals', 'queries', 'kv'])
      expect(help.stdout).toContain(`admin ${group}`)
    for (const group of ['sites', 'keys', 'goals']) {
      const r = run(group, '--help')
      expect(r.status, group).toBe(0)
      expect(r.stdout).toContain(`admin ${group} <command>`)
      expect(r.stderr).toBe('')
    }
    const sitesHelp = run('sites', '--help').stdout
    expect(sitesHelp).toContain('rate_limit.per_ip_per_minute')
    expect(sitesHelp).toMatch(/events_per_minute:\s+0 \(unlimited\) or at least 500/)
    const bad = run('sites', 'frobnicate')
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/unknown command "sites frobnicate"/)
    expect(bad.stderr).not.toMatch(/at .*\.ts:\d+/)
  }, 60_000)
})
