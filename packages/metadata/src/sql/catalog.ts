import type { MetadataSnapshot, SiteStore } from '../port.ts'
import { type EdgeSite, edgeView, type Site, siteSettingsIndex } from '../site.ts'
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
  let snapshot = await store.snapshot()
  let byHash = indexKeys(snapshot)
  let index = siteSettingsIndex(snapshot.sites)
  const listeners: Array<(s: MetadataSnapshot) => void> = []
  let pending: Promise<boolean> | undefined

  async function reload(): Promise<boolean> {
    if ((await store.version()) === snapshot.version) return false
    snapshot = await store.snapshot()
    byHash = indexKeys(snapshot)
    index = siteSettingsIndex(snapshot.sites)
    for (const l of listeners) l(snapshot)
    return true
  }
  // One reload at a time; a caller arriving during one waits for it, then checks again.
  const refresh = async (): Promise<boolean> => {
    while (pending) await pending.catch(() => {})
    pending = reload().finally(() => {
      pending = undefined
    })
    return pending
  }
  const timer = setInterval(() => {
    refresh().catch((err) => options.onError?.(err))
  }, options.pollMs ?? 1000)
  timer.unref()

  return {
    readKeys: {
      resolve: async (readKey) => {
        const siteIds = byHash.get(readKeyHash(readKey))
        return siteIds ? { siteIds: [...siteIds] } : undefined
      },
    },
    settings: {
      retentionDays: (siteId) => index.retentionDays(siteId),
      keepIp: (siteId) => index.keepIp(siteId),
      eventsPerMinute: (siteId) => index.eventsPerMinute(siteId),
    },
    sites: () => snapshot.sites,
    edgeSites: () => snapshot.sites.map(edgeView),
    version: () => snapshot.version,
    refresh,
    onChange: (listener) => {
      listeners.push(listener)
    },
    stop: () => clearInterval(timer),
  }
}

function indexKeys(snapshot: MetadataSnapshot): Map<string, string[]> {
  const map = new Map<string, string[]>()
  for (const k of snapshot.readKeys) map.set(k.key_hash, [...(map.get(k.key_hash) ?? []), k.site_id])
  return map
}
