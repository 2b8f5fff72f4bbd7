import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { responseContractProblems } from '@sightline/http'
import { composePipeline, type Pipeline } from '@sightline/ingest-bridge'
import { addSite, type Site, type SiteStore } from '@sightline/metadata'
import { openSiteCatalog, openSiteStore, type SiteCatalog } from '@sightline/metadata/sql'
import { type TempDir, tempDir } from '@sightline/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { edgeBatch, SIGNING_KEYS, signedRequest } from '../../ingest-bridge/test/edge-batches.ts'
import { createAdminApp } from '../src/admin-api.ts'

/**
 * events_per_minute from the admin API to the bridge, wired as the hub wires them: the API
 * writes the store and refreshes the catalog, the bridge reads the catalog's live settings
 * per batch. No restart anywhere (ADR 0032).
 */
const ADMIN = 'admin-token-for-quota-tests-0000'
let dir: TempDir
let store: SiteStore
let catalog: SiteCatalog
let admin: ReturnType<typeof createAdminApp>
let pipeline: Pipeline
let bridge: string

beforeAll(async () => {
  dir = await tempDir('quota-admin-')
  store = await openSiteStore('pglite:memory')
  let n = 0
  const newKey = (prefix: 'wk' | 'rk') => `${prefix}_quota_${String(n++).padStart(20, '0')}`
  expect((await addSite(store, 'shop', 'Shop', newKey)).ok).toBe(true)
  catalog = await openSiteCatalog(store, { pollMs: 60_000 })
  admin = createAdminApp({
    store,
    adminToken: ADMIN,
    edgeToken: 'edge-token-for-quota-tests-00000',
    newKey,
    onChange: () => catalog.refresh(),
    edgeView: () => ({ version: catalog.version(), sites: catalog.edgeSites() }),
    bridgeToken: 'bridge-token-for-quota-tests-000',
    bridgeView: () => ({ version: 0, sites: [] }),
  })
  pipeline = await composePipeline({
    stream: { kind: 'segment-log', dir: join(dir.path, 'stream'), fsync: false },
    sites: catalog.settings,
    receiver: { host: '127.0.0.1', port: 0, signingKeys: SIGNING_KEYS },
  })
  bridge = `http://127.0.0.1:${(pipeline.bridge!.address() as AddressInfo).port}`
}, 120_000)
afterAll(async () => {
  await pipeline?.stop()
  catalog?.stop()
  await store?.close()
  await dir?.cleanup()
})

const asAdmin = (method: string, path: string, body?: unknown) =>
  Promise.resolve(
    admin.request(path, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  )
const setQuota = (value: unknown) =>
  asAdmin('PATCH', '/admin/v1/sites/shop', { setting: 'events_per_minute', value })

let n = 0
async function send(events: number): Promise<number> {
  const ids = Array.from({ length: events }, () => `qa-${++n}`)
  const res = await fetch(`${bridge}/v1/ingest`, await signedRequest(JSON.stringify(edgeBatch(ids, 'shop'))))
  await res.body?.cancel()
  return res.status
}

describe('events_per_minute through the admin API', () => {
  it('is a site setting the bridge applies from the next batch, and lifts again at 0', async () => {
    // No quota yet: anything goes, and nothing is counted.
    for (let i = 0; i < 3; i++) expect(await send(500)).toBe(200)

    const set = await setQuota(500)
    expect(set.status).toBe(200)
    expect(((await set.json()) as { site: Site }).site.events_per_minute).toBe(500)
    expect(await send(300)).toBe(200)
    expect(await send(300)).toBe(429)
    expect(await send(200)).toBe(200)

    const lifted = await setQuota('0')
    expect(((await lifted.json()) as { message: string }).message).toMatch(
      /events_per_minute = 0 \(unlimited\)/,
    )
    expect(await send(500)).toBe(200)
    expect(
      (await asAdmin('GET', '/admin/v1/sites/shop').then((r) => r.json())) as { site: Site },
    ).toMatchObject({
      site: { events_per_minute: 0 },
    })
  })

  it('refuses a limit below one full batch with the error contract, changing nothing', async () => {
    await setQuota(800)
    for (const bad of [100, -1, 'lots']) {
      const res = await setQuota(bad)
      expect(res.status, String(bad)).toBe(400)
      expect(await responseContractProblems(res)).toEqual([])
    }
    const refused = (await (await setQuota(499)).json()) as { error: { code: string; message: string } }
    expect(refused.error).toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/at least 500/),
    })
    expect((await store.get('shop'))?.events_per_minute).toBe(800)
  })

  it('can be given when a site is created', async () => {
    const res = await asAdmin('POST', '/admin/v1/sites', { site_id: 'blog', events_per_minute: 1000 })
    expect(res.status).toBe(201)
    expect(((await res.json()) as { site: Site }).site.events_per_minute).toBe(1000)
    expect(catalog.settings.eventsPerMinute('blog')).toBe(1000)
  })
})
