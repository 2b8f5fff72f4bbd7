import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readSitesFile } from '../src/file-store.ts'
import {
  addSite,
  createKey,
  revokeKey,
  rotateKeys,
  SITE_SETTINGS,
  SiteSchema,
  type SiteStore,
  setRetention,
  setSetting,
} from '../src/index.ts'
import { openSiteCatalog, openSiteStore, openSql, sqlSiteStore } from '../src/sql/index.ts'
import { privatePostgresDatabase } from '../src/testing/postgres-database.ts'

const dir = mkdtempSync(join(tmpdir(), 'metadata-'))
const pgDb = await privatePostgresDatabase('sightline_meta')
const opened: SiteStore[] = []
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close().catch(() => {})))
  await pgDb?.drop()
  rmSync(dir, { recursive: true, force: true })
})

let n = 0
const newKey = (prefix: string) => `${prefix}_${++n}_${Math.random().toString(36).slice(2)}`
const demo = { site_id: 'demo', write_keys: ['wk_a', 'wk_b'] }

/**
 * Each test gets an emptied store holding only `demo` (read key rk_demo). One database per
 * adapter for the file (opening PGlite costs seconds); TRUNCATE keeps the tests independent.
 */
type Open = () => Promise<SiteStore>
function reused(url: () => string): Open {
  let store: Promise<SiteStore> | undefined
  return async () => {
    store ??= openSiteStore(url()).then((s) => {
      opened.push(s)
      return s
    })
    const s = await store
    await (s as unknown as { [SQL]: { exec(t: string): Promise<void> } })[SQL].exec(
      'TRUNCATE workspaces CASCADE',
    )
    const r = await s.create(SiteSchema.parse(demo), ['rk_demo'])
    if (!r.ok) throw new Error(r.message)
    return s
  }
}
const SQL = Symbol.for('sightline.metadata.sql')
const adapters: Array<[string, Open]> = [
  ['pglite (memory)', reused(() => 'pglite:memory')],
  ['pglite (directory)', reused(() => `pglite:${join(dir, 'contract-db')}`)],
  ['postgres', reused(() => pgDb!.url)],
]

describe('site schema', () => {
  it('fills what a new site gets and refuses what no component could use', () => {
    expect(SiteSchema.parse(demo)).toMatchObject({
      workspace_id: 'default',
      time_zone: 'UTC',
      retention_days: 395,
      allowed_origins: ['*'],
      privacy: { keep_ip: false, cookieless: false },
      rate_limit: { per_key_per_minute: 60_000, per_ip_per_minute: 6_000 },
      block_bots: false,
      events_per_minute: 0,
      revoked_keys: [],
    })
    for (const bad of [
      { time_zone: '+05:30' },
      { events_per_minute: -1 },
      { events_per_minute: 499 },
      { events_per_minute: 1.5 },
      { time_zone: 'Mars/Base' },
      { retention_days: 0 },
      { site_id: 'Bad Id' },
      { write_keys: [] },
    ])
      expect(SiteSchema.safeParse({ ...demo, ...bad }).success).toBe(false)
  })
})

describe.each(adapters)('site store (%s)', (name, open) => {
  const skip = name === 'postgres' && !pgDb && process.env.CI !== 'true'
  const test = (title: string, fn: () => Promise<void>) =>
    it.skipIf(skip)(title + (skip ? ' (no PostgreSQL at 127.0.0.1:5432)' : ''), fn, 30_000)

  test('adds a site with fresh keys, refusing duplicates, bad ids and another site’s key', async () => {
    const store = await open()
    const added = await addSite(store, 'shop', 'Shop', newKey, { time_zone: 'Europe/Berlin' })
    expect(added).toMatchObject({
      ok: true,
      site: { site_id: 'shop', name: 'Shop', time_zone: 'Europe/Berlin' },
    })
    expect((await store.list()).map((s) => s.site_id)).toEqual(['demo', 'shop'])
    expect(await addSite(store, 'shop', 'again', newKey)).toMatchObject({ ok: false, reason: 'conflict' })
    expect((await addSite(store, 'Bad Id', '', newKey)).ok).toBe(false)
    expect((await addSite(store, 'tz', '', newKey, { time_zone: 'Mars/Base' })).ok).toBe(false)
    const shop = (await store.get('shop'))!
    expect(await store.update({ ...shop, write_keys: ['wk_a'] })).toMatchObject({
      ok: false,
      reason: 'conflict',
    })
    expect((await store.byWriteKey(shop.write_keys[0]!))?.site_id).toBe('shop')
  })

  test('keeps read keys only as hashes: resolves, lists by key id, revokes', async () => {
    const store = await open()
    expect(await store.resolveReadKey('rk_demo')).toEqual({ siteIds: ['demo'] })
    expect(await store.resolveReadKey('rk_nope')).toBeUndefined()
    const snapshot = await store.snapshot()
    expect(JSON.stringify(snapshot)).not.toContain('rk_demo')
    const created = await createKey(store, 'demo', 'read', newKey)
    expect(created.ok && created.key).toMatch(/^rk_/)
    const key = created.ok ? created.key! : ''
    expect(await store.resolveReadKey(key)).toEqual({ siteIds: ['demo'] })
    const listed = await store.readKeys('demo')
    expect(listed).toHaveLength(2)
    expect(listed[0]!.key_id).toMatch(/^[0-9a-f]{12}$/)
    expect(await revokeKey(store, key)).toMatchObject({
      ok: true,
      message: expect.stringMatching(/revoked read key/),
    })
    expect(await store.resolveReadKey(key)).toBeUndefined()
    // By key id, as lists show it.
    expect((await store.revokeReadKey(listed[0]!.key_id)).ok).toBe(true)
    expect(await store.resolveReadKey('rk_demo')).toBeUndefined()
    expect((await rotateKeys(store, 'demo', newKey, 'read')).ok).toBe(true)
    expect((await store.readKeys('demo')).filter((k) => !k.revoked)).toHaveLength(1)
  })

  test('revokes a write key but never the last one, and rotates', async () => {
    const store = await open()
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
    expect((await createKey(store, 'demo', 'write', () => 'wk_more')).ok).toBe(true)
    expect((await store.get('demo'))?.write_keys).toEqual(['wk_new', 'wk_more'])
  })

  test('sets every documented setting, refusing values the schema refuses', async () => {
    const store = await open()
    const values: Record<string, [string, unknown]> = {
      name: ['Demo 2', 'Demo 2'],
      time_zone: ['Asia/Kolkata', 'Asia/Kolkata'],
      retention_days: ['30', 30],
      allowed_origins: ['https://a.example, https://b.example', ['https://a.example', 'https://b.example']],
      'rate_limit.per_key_per_minute': ['100', 100],
      'rate_limit.per_ip_per_minute': ['10', 10],
      keep_ip: ['on', true],
      cookieless: ['true', true],
      block_bots: ['yes', true],
      events_per_minute: ['1200', 1200],
    }
    expect(Object.keys(values).sort()).toEqual([...SITE_SETTINGS].sort())
    for (const [setting, [raw]] of Object.entries(values)) {
      const r = await setSetting(store, 'demo', setting, raw)
      expect(r, setting).toMatchObject({ ok: true })
    }
    expect(await store.get('demo')).toMatchObject({
      name: 'Demo 2',
      time_zone: 'Asia/Kolkata',
      retention_days: 30,
      allowed_origins: ['https://a.example', 'https://b.example'],
      rate_limit: { per_key_per_minute: 100, per_ip_per_minute: 10 },
      privacy: { keep_ip: true, cookieless: true },
      block_bots: true,
      events_per_minute: 1200,
    })
    // 0 turns the quota off again; below one full batch it is refused (ADR 0032).
    expect(await setSetting(store, 'demo', 'events_per_minute', 0)).toMatchObject({
      ok: true,
      site: { events_per_minute: 0 },
      message: expect.stringMatching(/unlimited/),
    })
    for (const [setting, raw] of [
      ['retention_days', '0'],
      ['retention_days', 'many'],
      ['time_zone', 'utc'],
      ['block_bots', 'maybe'],
      ['rate_limit.per_ip_per_minute', '0'],
      ['events_per_minute', '100'],
      ['events_per_minute', '-500'],
      ['colour', 'blue'],
    ] as const)
      expect((await setSetting(store, 'demo', setting, raw)).ok, `${setting}=${raw}`).toBe(false)
    expect((await setRetention(store, 'nope', 30)).ok).toBe(false)
  })

  test('goals and saved queries: create, list, delete, per site', async () => {
    const store = await open()
    const goal = await store.createGoal({ site_id: 'demo', name: 'Signup', event_name: 'signup' })
    expect(goal).toMatchObject({ ok: true, value: { name: 'Signup', event_name: 'signup', page_path: null } })
    expect((await store.createGoal({ site_id: 'demo', name: 'Thanks', page_path: '/thanks' })).ok).toBe(true)
    expect(await store.createGoal({ site_id: 'demo', name: 'Signup', event_name: 'x' })).toMatchObject({
      ok: false,
      reason: 'conflict',
    })
    expect(await store.createGoal({ site_id: 'nope', name: 'g', event_name: 'x' })).toMatchObject({
      ok: false,
      reason: 'not_found',
    })
    expect((await store.listGoals('demo')).map((g) => g.name)).toEqual(['Signup', 'Thanks'])
    const id = goal.ok ? goal.value.goal_id : -1
    expect((await store.deleteGoal('demo', id)).ok).toBe(true)
    expect((await store.deleteGoal('demo', id)).ok).toBe(false)

    const spec = { kind: 'trends', interval: 'day' }
    const saved = await store.saveQuery({ site_id: 'demo', name: 'daily', spec })
    expect(saved).toMatchObject({ ok: true, value: { name: 'daily', spec } })
    // Same name: the spec is replaced, not duplicated.
    await store.saveQuery({ site_id: 'demo', name: 'daily', spec: { ...spec, interval: 'hour' } })
    expect((await store.listQueries('demo')).map((q) => q.spec.interval)).toEqual(['hour'])
    const qid = saved.ok ? saved.value.query_id : -1
    expect((await store.deleteQuery('demo', qid)).ok).toBe(true)
    expect(await store.listQueries('demo')).toEqual([])
  })

  test('moves its change counter on every change, and the catalog follows', async () => {
    const store = await open()
    const catalog = await openSiteCatalog(store, { pollMs: 50 })
    try {
      const v0 = await store.version()
      expect(await catalog.readKeys.resolve('rk_demo')).toEqual({ siteIds: ['demo'] })
      const added = await addSite(store, 'live', 'Live', newKey, {
        retention_days: 7,
        privacy: { keep_ip: true },
        events_per_minute: 600,
      })
      expect(await store.version()).toBeGreaterThan(v0)
      // The poller picks it up by itself.
      const deadline = Date.now() + 5000
      while (catalog.sites().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      expect(catalog.settings.retentionDays('live')).toBe(7)
      expect(catalog.settings.keepIp('live')).toBe(true)
      expect(catalog.settings.eventsPerMinute('live')).toBe(600)
      expect(catalog.settings.eventsPerMinute('demo')).toBe(0)
      expect(catalog.settings.eventsPerMinute('unknown')).toBeUndefined()
      expect(await catalog.readKeys.resolve(added.ok ? added.key! : '')).toEqual({ siteIds: ['live'] })
      await revokeKey(store, added.ok ? added.key! : '')
      expect(await catalog.refresh()).toBe(true)
      expect(await catalog.readKeys.resolve(added.ok ? added.key! : '')).toBeUndefined()
      // The edge does not enforce the quota: it stays out of the edge view.
      const edgeLive = catalog.edgeSites().find((s) => s.site_id === 'live')
      expect(edgeLive).not.toHaveProperty('retention_days')
      expect(edgeLive).not.toHaveProperty('events_per_minute')
      expect(await catalog.refresh()).toBe(false)
    } finally {
      catalog.stop()
    }
  })

  test('row-level security: a workspace’s role sees and changes only its own sites', async () => {
    const owner = await open()
    await owner.create(
      SiteSchema.parse({ site_id: 'acme-site', workspace_id: 'acme', write_keys: ['wk_acme'] }),
      ['rk_acme'],
    )
    await owner.create(
      SiteSchema.parse({ site_id: 'umbrella-site', workspace_id: 'umbrella', write_keys: ['wk_u'] }),
    )
    // A second connection on the server; PGlite is one process's database, so its own handle.
    const sql = name === 'postgres' ? await openSql(pgDb!.url) : undefined
    const acme = sql ? sqlSiteStore(sql, { workspace: 'acme' }) : scopedTwin(owner, 'acme')
    expect((await acme.list()).map((s) => s.site_id)).toEqual(['acme-site'])
    expect(await acme.get('umbrella-site')).toBeUndefined()
    expect(await acme.get('demo')).toBeUndefined()
    expect(await acme.byWriteKey('wk_u')).toBeUndefined()
    expect(await acme.resolveReadKey('rk_demo')).toBeUndefined()
    expect(await acme.resolveReadKey('rk_acme')).toEqual({ siteIds: ['acme-site'] })
    // Writing into another workspace is refused (the row is not visible to update).
    const umbrella = (await owner.get('umbrella-site'))!
    expect((await acme.update({ ...umbrella, name: 'pwned' })).ok).toBe(false)
    expect((await owner.get('umbrella-site'))?.name).toBe('')
    expect((await acme.createGoal({ site_id: 'umbrella-site', name: 'g', event_name: 'e' })).ok).toBe(false)
    await sql?.close()
  })
})

/** The same database seen through a workspace-scoped store (the tests' handle on its Sql). */
function scopedTwin(store: SiteStore, workspace: string): SiteStore {
  const sql = (store as unknown as { [SQL]: unknown })[SQL]
  if (!sql) throw new Error('store has no SQL handle')
  return sqlSiteStore(sql as Parameters<typeof sqlSiteStore>[0], { workspace })
}
describe('migrations', () => {
  it('are numbered, applied once, and re-running them changes nothing', async () => {
    const path = join(dir, 'migrate-twice')
    const first = await openSiteStore(`pglite:${path}`)
    await addSite(first, 'kept', 'Kept', newKey)
    await first.close()
    const sql = await openSql(`pglite:${path}`)
    const { migrateMetadata } = await import('../src/sql/migrate.ts')
    expect(await migrateMetadata(sql)).toEqual([])
    const { rows } = await sql.query<{ id: number }>('SELECT id FROM schema_migrations ORDER BY id')
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3])
    const again = sqlSiteStore(sql)
    expect((await again.list()).map((s) => s.site_id)).toEqual(['kept'])
    await again.close()
  }, 30_000)
})

describe('legacy sites file', () => {
  it('reads sites (lifting an `edge` block) and their plaintext read keys for import', () => {
    const path = join(dir, 'legacy.json')
    const legacy = {
      ...demo,
      name: 'Demo',
      read_keys: ['rk_old'],
      edge: { allowed_origins: ['https://a.example'], privacy: { cookieless: true } },
    }
    writeFileSync(path, JSON.stringify({ version: 1, sites: [legacy], signing: { key: 'keep-me' } }))
    const { sites, readKeys } = readSitesFile(path)
    expect(sites[0]).toMatchObject({ allowed_origins: ['https://a.example'], privacy: { cookieless: true } })
    expect(sites[0]).not.toHaveProperty('read_keys')
    expect(readKeys.get('demo')).toEqual(['rk_old'])
  })
})
