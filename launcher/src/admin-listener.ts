// The hub's admin listener: the admin API on 127.0.0.1 only, its address in admin.json
// (0600) so `npm run admin` and the launcher find it. The token is in sightline.json.
import { rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { bridgeView, type SiteStore } from '@sightline/metadata'
import type { SiteCatalog } from '@sightline/metadata/sql'
import type { Warehouse } from '@sightline/warehouse'
import { createAdminApp } from './admin-api.ts'
import { bridgeSitesToken } from './bridge-env.ts'
import { edgeSitesToken } from './edge-env.ts'
import { type DataLayout, type InstallState, token, writeJsonAtomic } from './workspace.ts'

export interface AdminFile {
  url: string
  pid: number
}

export async function startAdminListener(options: {
  layout: DataLayout
  state: InstallState
  store: SiteStore
  catalog: SiteCatalog
  /** For the person routes (export, deletion). */
  warehouse?: Warehouse
  port?: number
  onBug: (err: unknown) => void
}): Promise<{ url: string; close(): Promise<void> }> {
  const { layout, state, store, catalog } = options
  const app = createAdminApp({
    store,
    adminToken: state.admin_token,
    edgeToken: edgeSitesToken(state),
    newKey: token,
    onChange: () => catalog.refresh(),
    edgeView: () => ({ version: catalog.version(), sites: catalog.edgeSites() }),
    bridgeToken: bridgeSitesToken(state),
    bridgeView: () => ({ version: catalog.version(), sites: catalog.sites().map(bridgeView) }),
    onBug: options.onBug,
    ...(options.warehouse ? { warehouse: options.warehouse } : {}),
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: options.port ?? 0 }, () => resolve(s))
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  writeJsonAtomic(layout.admin, { url, pid: process.pid } satisfies AdminFile)
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        rmSync(layout.admin, { force: true })
        server.close(() => resolve())
        // Keep-alive connections (the edge's polls) must not hold the stop up.
        ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
      }),
  }
}
