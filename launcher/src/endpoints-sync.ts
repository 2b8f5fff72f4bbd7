// endpoints.json follows the sites: the hub rewrites its `sites` when the catalog changes,
// so scripts reading it see a site added with `npm run admin` without a restart.
import { existsSync, readFileSync } from 'node:fs'
import type { Site } from '@sightline/metadata'
import { endpointsFor } from './banner.ts'
import { type DataLayout, loadOrCreateState, writeJsonAtomic } from './workspace.ts'

export function syncEndpointsSites(layout: DataLayout, sites: readonly Site[]): void {
  if (!existsSync(layout.endpoints) || sites.length === 0) return
  const doc = JSON.parse(readFileSync(layout.endpoints, 'utf8'))
  const { state } = loadOrCreateState(layout)
  const fresh = endpointsFor(sites, doc, doc.data_dir, doc.metrics_token, state)
  writeJsonAtomic(layout.endpoints, { ...doc, sites: fresh.sites })
}
