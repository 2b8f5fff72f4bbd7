// The install's metadata database: the one sightline.json records (`metadata_url`: the local
// cluster's PostgreSQL database, cluster-metadata.ts), else PGlite under the data directory.
// The hub's config `metadataUrl` names it explicitly (cluster.ts passes what it chose).
import { existsSync, readFileSync } from 'node:fs'
import type { SiteStore } from '@sightline/metadata'
import { readSitesFile, writeSecretJson } from '@sightline/metadata/file'
import { openSiteStore } from '@sightline/metadata/sql'
import type { DataLayout } from './workspace.ts'

/** The `metadata_url` sightline.json records, if any. */
export function recordedMetadataUrl(layout: DataLayout): string | undefined {
  if (!existsSync(layout.state)) return undefined
  const doc = JSON.parse(readFileSync(layout.state, 'utf8')) as { metadata_url?: unknown }
  return typeof doc.metadata_url === 'string' ? doc.metadata_url : undefined
}

/**
 * The metadata database of this data directory: `override`, else the recorded one, else
 * PGlite under it. One rule for every start and for `npm run admin` with the stack stopped.
 */
export function metadataUrl(layout: DataLayout, override?: string): string {
  return override ?? recordedMetadataUrl(layout) ?? `pglite:${layout.metadata}`
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
