// The admin operations on sites and keys, over the store port: the admin API (and through
// it `npm run admin`) calls these, whichever database holds the sites.
import type { Refusal, SiteStore } from './port.ts'
import { SITE_ID, SITE_SETTINGS, type Site, type SiteInput, SiteSchema, type SiteSetting } from './site.ts'

export type Change = { ok: true; site: Site; message: string; key?: string } | Refusal
export type NewKey = (prefix: 'wk' | 'rk') => string
export type KeyKind = 'write' | 'read'

const notFound = (siteId: string): Refusal => ({
  ok: false,
  reason: 'not_found',
  message: `no site ${siteId}`,
})
const invalid = (message: string): Refusal => ({ ok: false, reason: 'invalid', message })

/** A new site with one write key and one read key; the read key is in the answer, once. */
export async function addSite(
  store: SiteStore,
  siteId: string,
  name: string,
  newKey: NewKey,
  settings: Partial<SiteInput> = {},
): Promise<Change> {
  if (!SITE_ID.test(siteId)) return invalid(`site id must match ${SITE_ID}`)
  const parsed = SiteSchema.safeParse({ ...settings, site_id: siteId, name, write_keys: [newKey('wk')] })
  if (!parsed.success) return invalid(parsed.error.issues.map(issueText).join('; '))
  const readKey = newKey('rk')
  const stored = await store.create(parsed.data, [readKey])
  if (!stored.ok) return stored
  return {
    ok: true,
    site: stored.site,
    key: readKey,
    message: `added ${siteId}: write key ${stored.site.write_keys[0]}, read key ${readKey} (shown once: keep it)`,
  }
}

const issueText = (i: { path: PropertyKey[]; message: string }) =>
  `${i.path.map(String).join('.') || 'site'}: ${i.message}`

/** A write key is revoked (kept, so the edge answers "revoked"); a read key by key or key_id. */
export async function revokeKey(store: SiteStore, key: string): Promise<Change> {
  const site = await store.byWriteKey(key)
  if (!site) {
    const read = await store.revokeReadKey(key)
    if (!read.ok) return { ...read, message: 'no site has that write key or read key' }
    const owner = await store.get(read.value.site_id)
    return owner
      ? { ok: true, site: owner, message: `revoked read key ${read.value.key_id} of ${owner.site_id}` }
      : notFound(read.value.site_id)
  }
  if (!site.write_keys.includes(key)) return invalid('that key is already revoked')
  // Revoking the last key would leave the site unable to send: rotate instead (new key, old revoked).
  if (site.write_keys.length === 1) {
    return invalid(
      `it is the only write key of ${site.site_id}: use "keys rotate ${site.site_id}" (adds a new key and revokes it)`,
    )
  }
  const stored = await store.update({
    ...site,
    write_keys: site.write_keys.filter((k) => k !== key),
    revoked_keys: [...site.revoked_keys, key],
  })
  return stored.ok ? { ...stored, message: `revoked a write key of ${site.site_id}` } : stored
}

/** One more key of that kind; the others stay valid (rotate revokes them). */
export async function createKey(
  store: SiteStore,
  siteId: string,
  kind: KeyKind,
  newKey: NewKey,
): Promise<Change> {
  const site = await store.get(siteId)
  if (!site) return notFound(siteId)
  if (kind === 'read') {
    const key = newKey('rk')
    const added = await store.addReadKey(siteId, key)
    if (!added.ok) return added
    return { ok: true, site, key, message: `${siteId}: new read key ${key} (shown once: keep it)` }
  }
  const key = newKey('wk')
  const stored = await store.update({ ...site, write_keys: [...site.write_keys, key] })
  return stored.ok ? { ...stored, key, message: `${siteId}: new write key ${key}` } : stored
}

/** A fresh key; every current one of that kind is revoked (the usual answer to a leaked key). */
export async function rotateKeys(
  store: SiteStore,
  siteId: string,
  newKey: NewKey,
  kind: KeyKind = 'write',
): Promise<Change> {
  const site = await store.get(siteId)
  if (!site) return notFound(siteId)
  if (kind === 'read') {
    const old = (await store.readKeys(siteId)).filter((k) => !k.revoked)
    const created = await createKey(store, siteId, 'read', newKey)
    if (!created.ok) return created
    for (const k of old) await store.revokeReadKey(k.key_id)
    return { ...created, message: `${created.message}; ${old.length} old read key(s) revoked` }
  }
  const fresh = newKey('wk')
  const stored = await store.update({
    ...site,
    write_keys: [fresh],
    revoked_keys: [...site.revoked_keys, ...site.write_keys],
  })
  return stored.ok
    ? {
        ...stored,
        key: fresh,
        message: `${siteId}: new write key ${fresh}; ${site.write_keys.length} old key(s) revoked`,
      }
    : stored
}

/**
 * `sites set <site> <setting> <value>`: the value as typed (booleans on/off/true/false,
 * numbers, origins comma-separated), validated by SiteSchema like any other write.
 */
export async function setSetting(
  store: SiteStore,
  siteId: string,
  setting: string,
  raw: string | number | boolean | readonly string[],
): Promise<Change> {
  if (!(SITE_SETTINGS as readonly string[]).includes(setting)) {
    return invalid(`unknown setting ${setting}; one of: ${SITE_SETTINGS.join(', ')}`)
  }
  const site = await store.get(siteId)
  if (!site) return notFound(siteId)
  const value = typedValue(setting as SiteSetting, raw)
  if (value === undefined) return invalid(`${setting}: cannot use ${JSON.stringify(raw)}`)
  const next = withSetting(site, setting as SiteSetting, value)
  const parsed = SiteSchema.safeParse(next)
  if (!parsed.success) return invalid(parsed.error.issues.map(issueText).join('; '))
  const stored = await store.update(parsed.data)
  return stored.ok
    ? {
        ...stored,
        message: `${siteId}: ${setting} = ${JSON.stringify(value)}${settingNote(setting as SiteSetting, value)}`,
      }
    : stored
}

/** Retention in days (ADR 0003): applies to rows written from now on. */
export function setRetention(store: SiteStore, siteId: string, days: number): Promise<Change> {
  return setSetting(store, siteId, 'retention_days', days)
}

function settingNote(setting: SiteSetting, value: unknown): string {
  if (setting === 'retention_days') return ' (applies to rows written from now on)'
  if (setting === 'events_per_minute' && value === 0) return ' (unlimited)'
  return ''
}

function typedValue(setting: SiteSetting, raw: string | number | boolean | readonly string[]): unknown {
  switch (setting) {
    case 'name':
    case 'time_zone':
      return typeof raw === 'string' ? raw : undefined
    case 'retention_days':
    case 'rate_limit.per_key_per_minute':
    case 'rate_limit.per_ip_per_minute':
    case 'events_per_minute': {
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN
      return Number.isNaN(n) ? undefined : n
    }
    case 'keep_ip':
    case 'cookieless':
    case 'block_bots':
      if (typeof raw === 'boolean') return raw
      if (typeof raw !== 'string') return undefined
      if (['true', 'on', 'yes', '1'].includes(raw.toLowerCase())) return true
      if (['false', 'off', 'no', '0'].includes(raw.toLowerCase())) return false
      return undefined
    case 'allowed_origins':
      if (Array.isArray(raw)) return [...raw]
      if (typeof raw !== 'string') return undefined
      return raw
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean)
  }
}

function withSetting(site: Site, setting: SiteSetting, value: unknown): unknown {
  switch (setting) {
    case 'rate_limit.per_key_per_minute':
      return { ...site, rate_limit: { ...site.rate_limit, per_key_per_minute: value } }
    case 'rate_limit.per_ip_per_minute':
      return { ...site, rate_limit: { ...site.rate_limit, per_ip_per_minute: value } }
    case 'keep_ip':
    case 'cookieless':
      return { ...site, privacy: { ...site.privacy, [setting]: value } }
    default:
      return { ...site, [setting]: value }
  }
}
