// The KV side of `npm run admin`: what SITES_KV must hold, and how to get it there. The
// site operations themselves are @sightline/metadata's, over the site store.
import { type KvEntry, type Site, siteEntries } from '@sightline/metadata'

/** What SITES_KV must hold for these sites (each entry is the site's edge view). */
export function kvEntriesFor(sites: readonly Site[]): KvEntry[] {
  return siteEntries(sites)
}

/** The sync plan: put every wanted entry (puts are idempotent), delete what no key owns any more. */
export function kvPlan(wanted: readonly KvEntry[], existingKeys: readonly string[], prefix: string) {
  const keep = new Set(wanted.map((e) => e.key))
  return { put: [...wanted], remove: existingKeys.filter((k) => k.startsWith(prefix) && !keep.has(k)) }
}
