import { followSites } from '../followed-sites.ts'
import type { MetadataSnapshot, SiteStore } from '../port.ts'
import { type EdgeSite, edgeView, type Site } from '../site.ts'
import { readKeyHash } from './store.ts'

export interface SiteCatalog {
  /** The query service's ReadKeyResolver: answers from memory, by the key's hash. */
  readKeys: { resolve(readKey: string): Promise<{ siteIds: string[] } | undefined> }
  /** The writer's and receiver's per-site settings (composePipeline's `sites`). */
  settings: {
    retentionDays(siteId: string): number
    keepIp(siteId: string): boolean
    eventsPerMinute(siteId: string): number | undefined
  }
  sites(): Site[]
  edgeSites(): EdgeSite[]
  version(): number
  /** Reloads now if the store's version moved (the admin API calls it after each change). */
  refresh(): Promise<boolean>
  onChange(listener: (snapshot: MetadataSnapshot) => void): void
  stop(): void
}

/**
 * What the hot paths read, held in memory and reloaded when the store's change counter moves:
 * polled every `pollMs` (one tiny query), so a change made by any process — the admin API
 * in this one, or an admin command against the same PostgreSQL — is served within a poll.
 */
export async function openSiteCatalog(
  store: SiteStore,
  options: { pollMs?: number; onError?: (err: unknown) => void } = {},
): Promise<SiteCatalog> {
  const listeners: Array<(s: MetadataSnapshot) => void> = []
  const followed = await followSites({
    load: async (current: Loaded | undefined) => {
      if (current && (await store.version()) === current.snapshot.version) return 'unchanged'
      const snapshot = await store.snapshot()
      return { snapshot, byHash: indexKeys(snapshot) }
    },
    sites: (loaded) => loaded.snapshot.sites,
    pollMs: options.pollMs ?? 1000,
    onError: options.onError,
    onChange: (loaded) => {
      for (const l of listeners) l(loaded.snapshot)
    },
  })
  const snapshot = () => followed.current().snapshot

  return {
    readKeys: {
      resolve: async (readKey) => {
        const siteIds = followed.current().byHash.get(readKeyHash(readKey))
        return siteIds ? { siteIds: [...siteIds] } : undefined
      },
    },
    settings: followed.settings,
    sites: () => snapshot().sites,
    edgeSites: () => snapshot().sites.map(edgeView),
    version: () => snapshot().version,
    refresh: followed.refresh,
    onChange: (listener) => {
      listeners.push(listener)
    },
    stop: followed.stop,
  }
}

/** One load: the snapshot and its read keys by hash, replaced together. */
interface Loaded {
  snapshot: MetadataSnapshot
  byHash: Map<string, string[]>
}

function indexKeys(snapshot: MetadataSnapshot): Map<string, string[]> {
  const map = new Map<string, string[]>()
  for (const k of snapshot.readKeys) map.set(k.key_hash, [...(map.get(k.key_hash) ?? []), k.site_id])
  return map
}
