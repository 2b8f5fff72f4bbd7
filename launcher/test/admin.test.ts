import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { WRITE_KEY_PREFIX } from '../../edge-worker/src/sites-kv-format.ts'
import { applyKv, listKvKeys } from '../src/admin-kv.ts'
import { addSite, kvEntriesFor, kvPlan, revokeKey, rotateKeys } from '../src/admin-state.ts'
import type { InstallState } from '../src/workspace.ts'

let n = 0
const fakeKey = (prefix: string) => `${prefix}_${++n}`
const base: InstallState = {
  version: 1,
  sites: [
    {
      site_id: 'demo',
      name: 'Demo',
      write_keys: ['wk_a', 'wk_b'],
      revoked_keys: [],
      read_keys: ['rk_a'],
      edge: { allowed_origins: ['https://demo.example'], privacy: { keep_ip: false, cookieless: true } },
    },
  ],
  signing: { key_id: 'k1', key: 'x'.repeat(32) },
}
const must = <T extends { ok: boolean }>(c: T) => {
  if (!c.ok) throw new Error(JSON.stringify(c))
  return c as Extract<T, { ok: true }>
}

describe('admin: state changes (pure)', () => {
  it('adds a site with fresh keys, refusing duplicates and bad ids', () => {
    const next = must(addSite(base, 'shop', 'Shop', fakeKey)).state
    expect(next.sites[1]).toMatchObject({ site_id: 'shop', name: 'Shop', revoked_keys: [] })
    expect(addSite(next, 'shop').ok).toBe(false)
    expect(addSite(base, 'Bad Id').ok).toBe(false)
  })

  it('revokes a key, but never the last one (rotate does that)', () => {
    const next = must(revokeKey(base, 'wk_a')).state
    expect(next.sites[0]).toMatchObject({ write_keys: ['wk_b'], revoked_keys: ['wk_a'] })
    expect(revokeKey(next, 'wk_b')).toMatchObject({ ok: false, message: expect.stringMatching(/rotate/) })
    expect(revokeKey(next, 'wk_a')).toMatchObject({ ok: false, message: expect.stringMatching(/already/) })
    const rotated = must(rotateKeys(next, 'demo', fakeKey)).state
    expect(rotated.sites[0]!.write_keys).toHaveLength(1)
    expect(rotated.sites[0]!.revoked_keys).toEqual(['wk_a', 'wk_b'])
  })

  it('computes one KV entry per current and revoked key, each holding the whole site', () => {
    const state = must(revokeKey(base, 'wk_a')).state
    const entries = kvEntriesFor(state)
    expect(entries.map((e) => e.key)).toEqual(['write_key:wk_a', 'write_key:wk_b'])
    for (const e of entries) {
      const value = JSON.parse(e.value)
      expect(value).toMatchObject({
        site_id: 'demo',
        write_keys: ['wk_b'],
        revoked_keys: ['wk_a'],
        // The site's edge settings travel; the edge's defaults fill what the state omits.
        allowed_origins: ['https://demo.example'],
        privacy: { keep_ip: false, cookieless: true },
        block_bots: false,
      })
      // Secret read keys never reach the edge.
      expect(value.read_keys).toBeUndefined()
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
    const first = kvEntriesFor(base)
    await applyKv(target, first, [])
    expect(await listKvKeys(target, WRITE_KEY_PREFIX)).toEqual(['write_key:wk_a', 'write_key:wk_b'])
    const next = must(rotateKeys(base, 'demo', () => 'wk_new')).state
    const gone = { ...next, sites: next.sites.map((s) => ({ ...s, revoked_keys: ['wk_a'] })) }
    const plan = kvPlan(kvEntriesFor(gone), await listKvKeys(target, WRITE_KEY_PREFIX), WRITE_KEY_PREFIX)
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
    expect(run('sites', 'list')).toMatch(/^shop\t/m)
    const state = JSON.parse(readFileSync(join(dir, 'sightline.json'), 'utf8')) as InstallState
    expect(state.sites.map((s) => s.site_id)).toEqual(['demo', 'shop'])
  }, 30_000)
})
