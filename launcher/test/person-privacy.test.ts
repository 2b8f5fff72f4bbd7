import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addSite, type SiteStore } from '@sightline/metadata'
import { openSiteStore } from '@sightline/metadata/sql'
import { createApp, staticReadKeys } from '@sightline/query-service'
import { eventually } from '@sightline/testing'
import { insertRejected, migrate, openWarehouse, type Warehouse } from '@sightline/warehouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  loadProductDataset,
  OTHER_SITE,
  PRODUCT_FROM,
  PRODUCT_SITE,
  PRODUCT_TO,
  storedRows,
} from '../../query-service/test/product-dataset.ts'
import { resolvePersons } from '../../query-service/test/reference/persons.ts'
import { inRange, statsOf } from '../../query-service/test/reference/web-metrics.ts'
import { createAdminApp } from '../src/admin-api.ts'

/**
 * Deleting and exporting a person through the admin API, on chdb with the product dataset:
 * the export holds every row that names any of the person's merged ids; after a deletion
 * through the API has finished, no query finds a row of them, and everyone else's numbers
 * are exactly the reference's over the rows that remain.
 */

const root = mkdtempSync(join(tmpdir(), 'person-privacy-'))
const ADMIN = 'admin-token-for-tests-000000'
const READ_KEY = 'rk_privacy_test_key_0001'
let warehouse: Warehouse
let store: SiteStore
let admin: ReturnType<typeof createAdminApp>
let query: ReturnType<typeof createApp>
const rows = storedRows()
const persons = resolvePersons(rows)

beforeAll(async () => {
  warehouse = await openWarehouse({
    mode: 'embedded',
    path: join(root, 'chdb'),
    database: `privacy_${randomBytes(4).toString('hex')}`,
  })
  await migrate(warehouse)
  await loadProductDataset(warehouse)
  // Refused payloads that name Ada (a Segment-style camelCase one) and someone else.
  await insertRejected(warehouse, [
    {
      site_id: PRODUCT_SITE,
      received_at: new Date(),
      stage: 'edge',
      code: 'invalid_event',
      message: 'x',
      payload: { anonymousId: 'ada-phone', type: 'trak' },
    },
    {
      site_id: PRODUCT_SITE,
      received_at: new Date(),
      stage: 'edge',
      code: 'invalid_event',
      message: 'x',
      payload: { anonymous_id: 'gap-30', type: 'trak' },
    },
  ])
  store = await openSiteStore(`pglite:${join(root, 'metadata')}`)
  let n = 0
  const newKey = (prefix: 'wk' | 'rk') => `${prefix}_privacy_${String(n++).padStart(20, '0')}`
  for (const site of [PRODUCT_SITE, OTHER_SITE])
    expect((await addSite(store, site, site, newKey)).ok).toBe(true)
  admin = createAdminApp({
    store,
    adminToken: ADMIN,
    edgeToken: 'edge-token-for-tests-0000000',
    newKey,
    onChange: async () => {},
    edgeView: () => ({ version: 0, sites: [] }),
    bridgeToken: 'bridge-token-for-tests-00000',
    bridgeView: () => ({ version: 0, sites: [] }),
    warehouse,
  })
  query = createApp({
    warehouse,
    keys: staticReadKeys({ read_keys: [{ key: READ_KEY, sites: [PRODUCT_SITE, OTHER_SITE] }] }),
    clock: () => new Date(PRODUCT_TO),
  })
}, 120_000)
afterAll(async () => {
  await store?.close()
  await warehouse?.close()
  rmSync(root, { recursive: true, force: true })
})

const asAdmin = (method: string, path: string, token = ADMIN) =>
  Promise.resolve(admin.request(path, { method, headers: { authorization: `Bearer ${token}` } }))
const read = (path: string, method = 'GET') =>
  Promise.resolve(query.request(path, { method, headers: { authorization: `Bearer ${READ_KEY}` } }))

const Count = z.object({ c: z.coerce.number() })
async function countWhere(table: string, predicate: string, params: Record<string, unknown>) {
  const [row] = await warehouse.query({
    name: 'test.count',
    sql: `SELECT count() AS c FROM ${table} WHERE ${predicate}`,
    params,
    row: Count,
  })
  return row?.c ?? 0
}
const mentions = (ids: string[]) => (r: (typeof rows)[number]) =>
  [r.person_id, r.anonymous_id, r.user_id, r.previous_id].some((id) => ids.includes(id))

describe('person export (admin API)', () => {
  it('streams every row naming any of Grace’s four ids as NDJSON, found by any one of them', async () => {
    const res = await asAdmin('GET', `/admin/v1/sites/${PRODUCT_SITE}/persons/legacy-42/export`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('application/x-ndjson')
    const lines = (await res.text())
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    const ids = persons.idsOf(PRODUCT_SITE, persons.personOfId(PRODUCT_SITE, 'legacy-42'))
    expect(lines[0]).toMatchObject({ kind: 'person_export', site: PRODUCT_SITE, ids })
    const events = lines
      .filter((l) => l.table === 'events')
      .map((l) => (l.row as { message_id: string }).message_id)
    const expected = rows
      .filter((r) => r.site_id === PRODUCT_SITE && mentions(ids)(r))
      .map((r) => r.message_id)
    expect(events.sort()).toEqual(expected.sort())
    expect(lines.filter((l) => l.table === 'person_overrides').length).toBeGreaterThanOrEqual(ids.length)
    expect(
      lines.every(
        (l, i) => i === 0 || ['events', 'person_overrides', 'rejected'].includes(l.table as string),
      ),
    ).toBe(true)
  })
})

describe('person deletion (admin API)', () => {
  it('is refused without the admin token; read keys have no delete route at all', async () => {
    expect(
      (await asAdmin('DELETE', `/admin/v1/sites/${PRODUCT_SITE}/persons/ada-phone`, READ_KEY)).status,
    ).toBe(401)
    const res = await read(`/v1/sites/${PRODUCT_SITE}/persons/ada-phone`, 'DELETE')
    expect(res.status).toBe(404)
    expect((await read(`/v1/sites/${PRODUCT_SITE}/persons/ada-phone`)).status).toBe(200)
    expect((await asAdmin('DELETE', '/admin/v1/sites/no_such_site/persons/ada-phone')).status).toBe(404)
  })

  it('deletes every row of Ada (all merged ids, every table); afterwards no query finds her', async () => {
    const ids = persons.idsOf(PRODUCT_SITE, persons.personOfId(PRODUCT_SITE, 'ada-laptop'))
    expect(ids).toEqual(['ada-laptop', 'ada-phone', 'user-ada'])
    const adaRejected = "site_id = {site:String} AND position(payload, 'ada-') > 0"
    expect(await countWhere('rejected', adaRejected, { site: PRODUCT_SITE })).toBe(1)
    const res = await asAdmin('DELETE', `/admin/v1/sites/${PRODUCT_SITE}/persons/ada-laptop`)
    expect(res.status).toBe(202)
    const started = (await res.json()) as { ids: string[]; done: boolean; remaining: Record<string, number> }
    expect(started.ids).toEqual(ids)
    const progressPath = `/admin/v1/sites/${PRODUCT_SITE}/persons-deletion?${ids.map((id) => `id=${id}`).join('&')}`
    const finished = await eventually(
      async () =>
        (await (await asAdmin('GET', progressPath)).json()) as {
          done: boolean
          remaining: Record<string, number>
        },
      (p) => p.done,
      60_000,
      250,
    )
    expect(finished.remaining).toEqual({ events: 0, person_overrides: 0, rejected: 0 })

    // Nothing of her in any table, by any id…
    const params = { site: PRODUCT_SITE, ids }
    expect(
      await countWhere(
        'events',
        'site_id = {site:String} AND (person_id IN {ids:Array(String)} OR anonymous_id IN {ids:Array(String)} OR user_id IN {ids:Array(String)} OR previous_id IN {ids:Array(String)})',
        params,
      ),
    ).toBe(0)
    expect(
      await countWhere(
        'person_overrides',
        'site_id = {site:String} AND (id IN {ids:Array(String)} OR person IN {ids:Array(String)})',
        params,
      ),
    ).toBe(0)
    expect(
      await countWhere('rejected', "site_id = {site:String} AND position(payload, 'ada-') > 0", params),
    ).toBe(0)
    // …and the person endpoint no longer knows any of her ids.
    for (const id of ids) expect((await read(`/v1/sites/${PRODUCT_SITE}/persons/${id}`)).status).toBe(404)

    // Everyone else is untouched: stats equal the reference over the rows that remain.
    const remaining = rows.filter((r) => !(r.site_id === PRODUCT_SITE && mentions(ids)(r)))
    const stats = (await (
      await read(
        `/v1/sites/${PRODUCT_SITE}/stats?from=${encodeURIComponent(PRODUCT_FROM)}&to=${encodeURIComponent(PRODUCT_TO)}`,
      )
    ).json()) as { visitors: number; events: number }
    const want = statsOf(
      inRange(remaining, PRODUCT_SITE, new Date(PRODUCT_FROM), new Date(PRODUCT_TO)),
      (r) => resolvePersons(remaining).personOf(r),
    )
    expect({ visitors: stats.visitors, events: stats.events }).toEqual({
      visitors: want.visitors,
      events: want.events,
    })
    expect(await countWhere('rejected', 'site_id = {site:String}', params)).toBe(1)
    expect((await read(`/v1/sites/${PRODUCT_SITE}/persons/legacy-42`)).status).toBe(200)
    // The same ids on another site are another person, and stay.
    expect((await read(`/v1/sites/${OTHER_SITE}/persons/ada-phone`)).status).toBe(200)
  })
})
