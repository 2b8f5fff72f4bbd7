// The admin operations on sites, over the store port: `npm run admin` and, later, the
// management API call these, whichever adapter holds the sites.
import type { SiteStore } from './port.ts'
import { SITE_ID, type Site, SiteSchema } from './site.ts'

export type Change = { ok: true; site: Site; message: string } | { ok: false; message: string }
export type NewKey = (prefix: 'wk' | 'rk') => string

export async function addSite(
  store: SiteStore,
  siteId: string,
  name: string,
  newKey: NewKey,
): Promise<Change> {
  if (!SITE_ID.test(siteId)) return { ok: false, message: `site id must match ${SITE_ID}` }
  const site = SiteSchema.parse({
    site_id: siteId,
    name,
    write_keys: [newKey('wk')],
    read_keys: [newKey('rk')],
  })
  const stored = await store.create(site)
  if (!stored.ok) return stored
  return {
    ok: true,
    site: stored.site,
    message: `added ${siteId}: write key ${site.write_keys[0]}, read key ${site.read_keys[0]}`,
  }
}

/** Revoking the last key would leave the site unable to send: rotate instead (new key, old revoked). */
export async function revokeKey(store: SiteStore, writeKey: string): Promise<Change> {
  const site = await store.byWriteKey(writeKey)
  if (!site) return { ok: false, message: 'no site has that write key' }
  if (!site.write_keys.includes(writeKey)) return { ok: false, message: 'that key is already revoked' }
  if (site.write_keys.length === 1) {
    return {
      ok: false,
      message: `it is the only write key of ${site.site_id}: use "keys rotate ${site.site_id}" (adds a new key and revokes it)`,
    }
  }
  const stored = await store.update({
    ...site,
    write_keys: site.write_keys.filter((k) => k !== writeKey),
    revoked_keys: [...site.revoked_keys, writeKey],
  })
  return stored.ok ? { ...stored, message: `revoked a write key of ${site.site_id}` } : stored
}

/** A fresh write key; every current one is revoked (the usual answer to a leaked key). */
export async function rotateKeys(store: SiteStore, siteId: string, newKey: NewKey): Promise<Change> {
  const site = await store.get(siteId)
  if (!site) return { ok: false, message: `no site ${siteId}` }
  const fresh = newKey('wk')
  const stored = await store.update({
    ...site,
    write_keys: [fresh],
    revoked_keys: [...site.revoked_keys, ...site.write_keys],
  })
  return stored.ok
    ? {
        ...stored,
        message: `${siteId}: new write key ${fresh}; ${site.write_keys.length} old key(s) revoked`,
      }
    : stored
}

/** Retention in days (ADR 0003): applies to rows written from now on. */
export async function setRetention(store: SiteStore, siteId: string, days: number): Promise<Change> {
  const site = await store.get(siteId)
  if (!site) return { ok: false, message: `no site ${siteId}` }
  const parsed = SiteSchema.shape.retention_days.safeParse(days)
  if (!parsed.success) return { ok: false, message: `retention: ${parsed.error.issues[0]?.message}` }
  const stored = await store.update({ ...site, retention_days: parsed.data })
  return stored.ok ? { ...stored, message: `${siteId}: new rows kept ${parsed.data} days` } : stored
}
