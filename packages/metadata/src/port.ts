import type { Site } from './site.ts'

export type StoreResult = { ok: true; site: Site } | { ok: false; message: string }

/**
 * The site store port. Embedded: a JSON file in the data directory (file-store.ts);
 * cluster: PostgreSQL (PGlite embedded) behind the same five calls. Writes are whole
 * sites, validated by SiteSchema before they are stored.
 */
export interface SiteStore {
  list(): Promise<Site[]>
  get(siteId: string): Promise<Site | undefined>
  /** The site owning this write key, current or revoked. */
  byWriteKey(writeKey: string): Promise<Site | undefined>
  /** Refuses an existing id or a write key another site owns. */
  create(site: Site): Promise<StoreResult>
  /** Replaces an existing site; refuses an unknown id or a write key another site owns. */
  update(site: Site): Promise<StoreResult>
}

/** The checks every adapter makes, over the sites it holds. */
export function checkWrite(
  sites: readonly Site[],
  site: Site,
  mode: 'create' | 'update',
): string | undefined {
  const exists = sites.some((s) => s.site_id === site.site_id)
  if (mode === 'create' && exists) return `site ${site.site_id} exists`
  if (mode === 'update' && !exists) return `no site ${site.site_id}`
  const mine = new Set([...site.write_keys, ...site.revoked_keys])
  const clash = sites.find(
    (s) => s.site_id !== site.site_id && [...s.write_keys, ...s.revoked_keys].some((k) => mine.has(k)),
  )
  return clash ? `a write key of ${site.site_id} belongs to ${clash.site_id}` : undefined
}
