import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { fileSiteStore } from '../src/file-store.ts'
import {
  addSite,
  memorySiteStore,
  readKeysFile,
  revokeKey,
  rotateKeys,
  SiteSchema,
  type SiteStore,
  setRetention,
  siteEntries,
  siteSettingsIndex,
} from '../src/index.ts'

const dir = mkdtempSync(join(tmpdir(), 'metadata-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let n = 0
const newKey = (prefix: string) => `${prefix}_${++n}`
const demo = { site_id: 'demo', write_keys: ['wk_a', 'wk_b'], read_keys: ['rk_a'] }

describe('site schema', () => {
  it('fills what a new site gets and refuses what no component could use', () => {
    expect(SiteSchema.parse(demo)).toMatchObject({
      time_zone: 'UTC',
      retention_days: 395,
      allowed_origins: ['*'],
      privacy: { keep_ip: false, cookieless: false },
      rate_limit: { per_key_per_minute: 60_000, per_ip_per_minute: 6_000 },
      block_bots: false,
      revoked_keys: [],
    })
    expect(SiteSchema.safeParse({ ...demo, time_zone: 'Europe/Berlin' }).success).toBe(true)
    for (const bad of [
      { time_zone: '+05:30' },
      { time_zone: 'utc' },
      { time_zone: 'Mars/Base' },
      { retention_days: 0 },
      { retention_days: 70_000 },
      { site_id: 'Bad Id' },
      { read_keys: [] },
    ])
      expect(SiteSchema.safeParse({ ...demo, ...bad }).success).toBe(false)
  })

  it('gives the edge its view only: no read keys, no warehouse settings', () => {
    const entries = siteEntries([{ ...demo, revoked_keys: ['wk_old'], retention_days: 30 }])
    expect(entries.map((e) => e.key)).toEqual(['write_key:wk_a', 'write_key:wk_b', 'write_key:wk_old'])
    const value = JSON.parse(entries[0]!.value)
    expect(value).toMatchObject({ site_id: 'demo', write_keys: ['wk_a', 'wk_b'], revoked_keys: ['wk_old'] })
    expect(value.read_keys).toBeUndefined()
    expect(value.retention_days).toBeUndefined()
    expect(() => siteEntries([demo, { ...demo, site_id: 'other' }])).toThrow(/two sites/)
  })

  it('derives the read-keys file and the per-site settings the writer stamps', () => {
    const sites = [
      SiteSchema.parse(demo),
      SiteSchema.parse({
        ...demo,
        site_id: 'b',
        write_keys: ['x'],
        read_keys: ['r1', 'r2'],
        retention_days: 30,
        privacy: { keep_ip: true },
      }),
    ]
    expect(readKeysFile(sites).read_keys).toEqual([
      { key: 'rk_a', sites: ['demo'] },
      { key: 'r1', sites: ['b'] },
      { key: 'r2', sites: ['b'] },
    ])
    const index = siteSettingsIndex(sites)
    expect([index.retentionDays('b'), index.retentionDays('demo'), index.retentionDays('unknown')]).toEqual([
      30, 395, 395,
    ])
    expect([index.keepIp('b'), index.keepIp('demo'), index.keepIp('unknown')]).toEqual([true, false, false])
  })
})

// The same behaviour from every adapter (the PostgreSQL one will join this list).
const adapters: Array<[string, () => SiteStore]> = [
  ['memory', () => memorySiteStore([demo])],
  [
    'file',
    () => {
      const path = join(dir, `sites-${++n}.json`)
      writeFileSync(path, JSON.stringify({ version: 1, sites: [demo], signing: { key: 'keep-me' } }))
      return fileSiteStore(path)
    },
  ],
]

describe.each(adapters)('site store (%s)', (_name, open) => {
  it('adds a site with fresh keys, refusing duplicates, bad ids and another site’s key', async () => {
    const store = open()
    const added = await addSite(store, 'shop', 'Shop', newKey)
    expect(added).toMatchObject({ ok: true, site: { site_id: 'shop', name: 'Shop', retention_days: 395 } })
    expect((await store.list()).map((s) => s.site_id)).toEqual(['demo', 'shop'])
    expect((await addSite(store, 'shop', 'again', newKey)).ok).toBe(false)
    expect((await addSite(store, 'Bad Id', '', newKey)).ok).toBe(false)
    const shop = (await store.get('shop'))!
    expect(await store.update({ ...shop, write_keys: ['wk_a'] })).toMatchObject({ ok: false })
  })

  it('revokes a key but never the last one, and rotates', async () => {
    const store = open()
    expect((await revokeKey(store, 'wk_a')).ok).toBe(true)
    expect(await store.get('demo')).toMatchObject({ write_keys: ['wk_b'], revoked_keys: ['wk_a'] })
    expect(await revokeKey(store, 'wk_b')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/rotate/),
    })
    expect(await revokeKey(store, 'wk_a')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/already/),
    })
    expect((await store.byWriteKey('wk_a'))?.site_id).toBe('demo')
    expect((await rotateKeys(store, 'demo', () => 'wk_new')).ok).toBe(true)
    expect(await store.get('demo')).toMatchObject({ write_keys: ['wk_new'], revoked_keys: ['wk_a', 'wk_b'] })
  })

  it('sets retention within the column’s range', async () => {
    const store = open()
    expect((await setRetention(store, 'demo', 30)).ok).toBe(true)
    expect((await store.get('demo'))?.retention_days).toBe(30)
    expect((await setRetention(store, 'demo', 0)).ok).toBe(false)
    expect((await setRetention(store, 'nope', 30)).ok).toBe(false)
  })
})

describe('file site store', () => {
  it('keeps the file’s other keys, writes it 0600, and lifts sites written with an `edge` block', async () => {
    const path = join(dir, 'legacy.json')
    const legacy = {
      ...demo,
      name: 'Demo',
      revoked_keys: [],
      edge: { allowed_origins: ['https://a.example'], privacy: { cookieless: true } },
    }
    writeFileSync(path, JSON.stringify({ version: 1, sites: [legacy], signing: { key: 'keep-me' } }), {
      mode: 0o644,
    })
    const store = fileSiteStore(path)
    expect(await store.get('demo')).toMatchObject({
      allowed_origins: ['https://a.example'],
      privacy: { cookieless: true, keep_ip: false },
    })
    expect((await setRetention(store, 'demo', 90)).ok).toBe(true)
    const doc = JSON.parse(readFileSync(path, 'utf8'))
    expect(doc.signing).toEqual({ key: 'keep-me' })
    expect(doc.sites[0]).toMatchObject({ retention_days: 90, allowed_origins: ['https://a.example'] })
    expect(doc.sites[0].edge).toBeUndefined()
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })
})
