import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { composePipeline, type Pipeline } from '@sightline/ingest-bridge'
import type { SiteStore } from '@sightline/metadata'
import { openSiteCatalog, type SiteCatalog } from '@sightline/metadata/sql'
import { type TempDir, tempDir } from '@sightline/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadBridgeConfig } from '../../ingest-bridge/src/config.ts'
import { followRemoteSites, type RemoteSites } from '../../ingest-bridge/src/sites-remote.ts'
import { edgeBatch, SIGNING_KEYS, signedRequest } from '../../ingest-bridge/test/edge-batches.ts'
import { startAdminListener } from '../src/admin-listener.ts'
import { metadataUrl, openInstallStore } from '../src/metadata.ts'
import { dataLayout, type InstallState, loadOrCreateState } from '../src/workspace.ts'
import { localBridgeEnv } from './local-bridge-env.ts'

/**
 * A local cluster's bridge and its hub on PGlite, wired as cluster.ts and hub.ts wire them
 * (no Kafka: the receiver appends to a segment log): the hub's admin listener over the install
 * store, the bridge's environment from clusterBridgeEnv, the bridge following the hub's
 * bridge view over HTTP. A setting changed through the admin API reaches the receiver
 * within a poll, without a restart (ADR 0032).
 */
let dir: TempDir
let state: InstallState
let store: SiteStore
let catalog: SiteCatalog
let admin: { url: string; close(): Promise<void> }
let remote: RemoteSites
let pipeline: Pipeline
let bridge: string
let env: Record<string, string>

beforeAll(async () => {
  dir = await tempDir('bridge-sites-')
  const layout = dataLayout(dir.path)
  state = loadOrCreateState(layout).state
  store = await openInstallStore(layout)
  catalog = await openSiteCatalog(store, { pollMs: 60_000 })
  admin = await startAdminListener({ layout, state, store, catalog, onBug: (err) => console.error(err) })
  env = localBridgeEnv(layout, state, metadataUrl(layout), admin.url)
  // What the bridge's main.ts does with that environment.
  const config = loadBridgeConfig(env)
  remote = await followRemoteSites({ url: config.SITES_URL!, token: config.SITES_TOKEN!, pollMs: 100 })
  pipeline = await composePipeline({
    stream: { kind: 'segment-log', dir: join(dir.path, 'stream'), fsync: false },
    sites: remote.settings,
    receiver: { host: '127.0.0.1', port: 0, signingKeys: SIGNING_KEYS },
  })
  bridge = `http://127.0.0.1:${(pipeline.bridge!.address() as AddressInfo).port}`
}, 120_000)
afterAll(async () => {
  await pipeline?.stop()
  remote?.stop()
  await admin?.close()
  catalog?.stop()
  await store?.close()
  await dir?.cleanup()
})

const call = (method: string, path: string, token: string, body?: unknown) =>
  fetch(`${admin.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
const set = async (setting: string, value: unknown) => {
  const res = await call('PATCH', '/admin/v1/sites/demo', state.admin_token, { setting, value })
  expect(res.status).toBe(200)
}

let n = 0
async function send(events: number): Promise<number> {
  const ids = Array.from({ length: events }, () => `bs-${++n}`)
  const res = await fetch(`${bridge}/v1/ingest`, await signedRequest(JSON.stringify(edgeBatch(ids, 'demo'))))
  await res.body?.cancel()
  return res.status
}

describe('a local cluster bridge on a PGlite hub', () => {
  it('follows the hub over HTTP with the read-only bridge token, not the admin token', () => {
    expect(env.SITES_URL).toBe(`${admin.url}/admin/v1/bridge/sites`)
    expect(env.SITES_TOKEN).not.toBe(state.admin_token)
    expect(env.METADATA_URL).toBeUndefined()
    expect(env.SITES_FILE).toBeUndefined()
  })

  it('applies events_per_minute set through the admin API within a poll, and lifts it at 0', async () => {
    // The imported demo site, no quota yet.
    expect(remote.settings.eventsPerMinute('demo')).toBe(0)
    for (let i = 0; i < 3; i++) expect(await send(500)).toBe(200)

    await set('events_per_minute', 500)
    await expect.poll(() => remote.settings.eventsPerMinute('demo'), { timeout: 5000 }).toBe(500)
    expect(await send(300)).toBe(200)
    expect(await send(300)).toBe(429)

    await set('events_per_minute', 0)
    await expect.poll(() => remote.settings.eventsPerMinute('demo'), { timeout: 5000 }).toBe(0)
    expect(await send(500)).toBe(200)
  })

  it('applies keep_ip and retention_days the same way', async () => {
    expect(remote.settings.keepIp('demo')).toBe(false)
    await set('keep_ip', true)
    await set('retention_days', 30)
    await expect.poll(() => remote.settings.keepIp('demo'), { timeout: 5000 }).toBe(true)
    await expect.poll(() => remote.settings.retentionDays('demo'), { timeout: 5000 }).toBe(30)
  })

  it('serves the bridge view without keys, 304 while unchanged', async () => {
    const res = await call('GET', '/admin/v1/bridge/sites', env.SITES_TOKEN!)
    expect(res.status).toBe(200)
    const view = (await res.json()) as { version: number; sites: Array<Record<string, unknown>> }
    expect(view.version).toBe(catalog.version())
    expect(view.sites.map((s) => s.site_id)).toEqual(['demo'])
    expect(Object.keys(view.sites[0]!).sort()).toEqual([
      'events_per_minute',
      'privacy',
      'retention_days',
      'site_id',
    ])
    const again = await fetch(`${admin.url}/admin/v1/bridge/sites`, {
      headers: { authorization: `Bearer ${env.SITES_TOKEN}`, 'if-none-match': res.headers.get('etag')! },
    })
    expect(again.status).toBe(304)
  })

  it('gives the bridge token nothing but that view', async () => {
    for (const [method, path, body] of [
      ['GET', '/admin/v1/sites', undefined],
      ['GET', '/admin/v1/edge/sites', undefined],
      ['PATCH', '/admin/v1/sites/demo', { setting: 'events_per_minute', value: 0 }],
    ] as const) {
      const res = await call(method, path, env.SITES_TOKEN!, body)
      expect(res.status, `${method} ${path}`).toBe(401)
      await res.body?.cancel()
    }
    expect((await store.get('demo'))?.privacy.keep_ip).toBe(true)
  })
})
