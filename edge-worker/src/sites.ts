import type { SiteConfig } from './config.ts'

export interface Site {
  siteId: string
  settings: SiteConfig
}

/**
 * Write key → site. Async because the next implementation reads Workers KV; the static
 * one below serves config-file deployments and tests.
 */
export interface SiteDirectory {
  byWriteKey(writeKey: string): Promise<Site | undefined>
}

export function staticSites(sites: readonly SiteConfig[]): SiteDirectory {
  const byKey = new Map<string, Site>()
  for (const site of sites) {
    // Revoked keys resolve too, so the caller can answer "revoked" rather than "unknown".
    for (const key of [...site.revoked_keys, ...site.write_keys])
      byKey.set(key, { siteId: site.site_id, settings: site })
  }
  return {
    byWriteKey: async (writeKey) => byKey.get(writeKey),
  }
}

/** A revoked key wins over the same key still listed as a write key: revoking must be safe. */
export function isRevoked(site: Site, writeKey: string): boolean {
  return site.settings.revoked_keys.includes(writeKey)
}
