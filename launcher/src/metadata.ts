// The install's metadata database: PGlite under the data directory, or a PostgreSQL server
// when the hub's config `metadataUrl` names one (cluster.ts sets it from --metadata-url /
// SIGHTLINE_METADATA_URL; embedded `npm start` always uses PGlite).
import { readFileSync } from 'node:fs'
import type { SiteStore } from '@sightline/metadata'
import { readSitesFile, writeSecretJson } from '@sightline/metadata/file'
import { openSiteStore } from '@sightline/metadata/sql'
import type { DataLayout } from './workspace.ts'

export function metadataUrl(layout: DataLayout, override?: string): string {
  return override ?? `pglite:${layout.metadata}`
}

/**
 * Opens (and migrates) the store, then moves sites still listed in sightline.json into it:
 * settings and write keys as they are, read keys as hashes. The file's plaintext read keys
 * become `local_read_keys` (first per site, for the banner) and `sites` leaves the file, so
 * the import happens once. A site the database already has is left as the database has it.
 */
export async function openInstallStore(layout: DataLayout, url?: string): Promise<SiteStore> {
  const store = await openSiteStore(metadataUrl(layout, url))
  const doc = JSON.parse(readFileSync(layout.state, 'utf8')) as Record<string, unknown>
  if (!Array.isArray(doc.sites)) return store
  const { sites, readKeys } = readSitesFile(layout.state)
  const local = { ...((doc.local_read_keys as Record<string, string> | undefined) ?? {}) }
  for (const site of sites) {
    const keys = readKeys.get(site.site_id) ?? []
    if (!(await store.get(site.site_id))) {
      const created = await store.create(site, keys)
      if (!created.ok)
        throw new Error(`importing site ${site.site_id} from ${layout.state}: ${created.message}`)
    }
    if (keys[0] && !local[site.site_id]) local[site.site_id] = keys[0]
  }
  const { sites: _imported, ...rest } = doc
  writeSecretJson(layout.state, { ...rest, local_read_keys: local })
  return store
}
