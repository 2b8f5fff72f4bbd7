import type { SiteStore } from '@sightline/metadata'
import { openSiteCatalog, openSiteStore, type SiteCatalog } from '@sightline/metadata/sql'
import { privatePostgresDatabase } from '@sightline/metadata/testing'
import { type TempDir, tempDir } from '@sightline/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadBridgeConfig } from '../../ingest-bridge/src/config.ts'
import { startAdminListener } from '../src/admin-listener.ts'
import { openInstallStore } from '../src/metadata.ts'
import { dataLayout, type InstallState, loadOrCreateState } from '../src/workspace.ts'
import { localBridgeEnv } from './local-bridge-env.ts'

/**
 * A local cluster whose hub keeps the metadata in PostgreSQL (`--metadata-url`): the bridge
 * is given the database itself and opens it as the bridge's main.ts does, so a change made
 * through the hub's admin API reaches it by the store's change counter, not through the hub.
 */
let dir: TempDir
let db: { url: string; drop(): Promise<void> }
let state: InstallState
let hubStore: SiteStore
let hubCatalog: SiteCatalog
let admin: { url: string; close(): Promise<void> }
let bridgeStore: SiteStore
let bridgeCatalog: SiteCatalog
let env: Record<string, string | undefined>

beforeAll(async () => {
  const found = await privatePostgresDatabase('sightline_bridge_sites')
  if (!found)
    throw new Error('this test needs the PostgreSQL server at 127.0.0.1:5432 (SIGHTLINE_POSTGRES_URL)')
  db = found
  dir = await tempDir('bridge-sites-pg-')
  const layout = dataLayout(dir.path)
  state = loadOrCreateState(layout).state
  hubStore = await openInstallStore(layout, db.url)
  hubCatalog = await openSiteCatalog(hubStore, { pollMs: 60_000 })
  admin = await startAdminListener({
    layout,
    state,
    store: hubStore,
    catalog: hubCatalog,
    onBug: (err) => console.error(err),
  })
  env = localBridgeEnv(layout, state, db.url, admin.url)
  const config = loadBridgeConfig(env)
  bridgeStore = await openSiteStore(config.METADATA_URL!)
  bridgeCatalog = await openSiteCatalog(bridgeStore, { pollMs: 100 })
}, 120_000)
afterAll(async () => {
  bridgeCatalog?.stop()
  await bridgeStore?.close()
  await admin?.close()
  hubCatalog?.stop()
  await hubStore?.close()
  await db?.drop()
  await dir?.cleanup()
})

describe('a local cluster bridge on a PostgreSQL hub', () => {
  it('is given the database, not the hub', () => {
    expect(env.METADATA_URL).toBe(db.url)
    expect(env.SITES_URL).toBeUndefined()
    expect(env.SITES_FILE).toBeUndefined()
  })

  it('sees the install’s sites and each setting changed through the hub’s admin API', async () => {
    // The demo site, imported from sightline.json into PostgreSQL by the hub's first open.
    expect(bridgeCatalog.sites().map((s) => s.site_id)).toEqual(['demo'])
    expect(bridgeCatalog.settings.eventsPerMinute('demo')).toBe(0)
    for (const [setting, value] of [
      ['events_per_minute', 6000],
      ['keep_ip', true],
    ] as const) {
      const res = await fetch(`${admin.url}/admin/v1/sites/demo`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${state.admin_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ setting, value }),
      })
      expect(res.status).toBe(200)
      await res.body?.cancel()
    }
    await expect.poll(() => bridgeCatalog.settings.eventsPerMinute('demo'), { timeout: 5000 }).toBe(6000)
    await expect.poll(() => bridgeCatalog.settings.keepIp('demo'), { timeout: 5000 }).toBe(true)
  })
})
