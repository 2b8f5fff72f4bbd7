import { type EdgeSite, EdgeSiteSchema, type Site } from './site.ts'

/**
 * The SITES_KV layout, shared by the edge (reader) and the admin command (writer):
 * one entry per write key — current or revoked — whose value is the site's edge view.
 * Per-key entries make the edge's lookup a single KV read; the duplication is a few hundred
 * bytes per key.
 */
export const WRITE_KEY_PREFIX = 'write_key:'

export function entryKey(writeKey: string): string {
  return `${WRITE_KEY_PREFIX}${writeKey}`
}

export interface KvEntry {
  key: string
  value: string
}

/** Every entry the namespace should hold for these sites (validated: a bad site throws). */
export function siteEntries(sites: readonly (Site | EdgeSite | unknown)[]): KvEntry[] {
  const entries = new Map<string, KvEntry>()
  for (const raw of sites) {
    const site = EdgeSiteSchema.parse(raw)
    const value = JSON.stringify(site)
    for (const key of new Set([...site.write_keys, ...site.revoked_keys])) {
      const k = entryKey(key)
      if (entries.has(k)) throw new Error(`write key ${key.slice(0, 6)}… belongs to two sites`)
      entries.set(k, { key: k, value })
    }
  }
  return [...entries.values()].sort((a, b) => (a.key < b.key ? -1 : 1))
}
