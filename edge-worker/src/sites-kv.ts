import { entryKey } from '@sightline/metadata'
import { SiteSchema } from './config.ts'
import type { Site, SiteDirectory } from './sites.ts'

/**
 * Revocation bound: KV serves a colo's cached copy for `cacheTtl` (30 s, the least KV
 * accepts; its default is 60 s, which alone would use the whole budget) and this isolate
 * keeps its own copy for ISOLATE_TTL_MS more. 30 s + 20 s = 50 s of caching, leaving ~10 s
 * for the write itself to reach KV's central store — KV documents no hard bound beyond
 * "usually within 60 s", so that is what docs/deploy.md promises.
 */
export const KV_CACHE_TTL_S = 30
export const ISOLATE_TTL_MS = 20_000
/** A KV outage may be bridged with an older copy, but not indefinitely (revocations). */
const MAX_STALE_MS = 10 * 60_000
/** Unknown keys are cached too (a flood of bad keys must not become a flood of KV reads); bounded. */
const MAX_ENTRIES = 10_000

export interface KvSitesOptions {
  now: () => number
  ttlMs?: number
  /** Static sites consulted when KV has no entry (the embedded edge's SITES). */
  fallback?: SiteDirectory
}

interface Cached {
  site: Site | undefined
  fetchedAt: number
}

export function kvSites(kv: KVNamespace, options: KvSitesOptions): SiteDirectory & { cacheSize(): number } {
  const ttlMs = options.ttlMs ?? ISOLATE_TTL_MS
  const cache = new Map<string, Cached>()
  const inflight = new Map<string, Promise<Site | undefined>>()

  async function load(writeKey: string): Promise<Site | undefined> {
    const raw = await kv.get(entryKey(writeKey), { type: 'text', cacheTtl: KV_CACHE_TTL_S })
    if (raw === null) return options.fallback?.byWriteKey(writeKey)
    let parsed: ReturnType<typeof SiteSchema.safeParse>
    try {
      parsed = SiteSchema.safeParse(JSON.parse(raw))
    } catch {
      parsed = SiteSchema.safeParse(undefined)
    }
    // A broken or mismatched entry is an operator mistake: refuse the key, say so in the logs.
    const site = parsed.success ? parsed.data : undefined
    if (!site || ![...site.write_keys, ...site.revoked_keys].includes(writeKey)) {
      console.error(
        JSON.stringify({ msg: 'invalid SITES_KV entry; key refused', entry_prefix: writeKey.slice(0, 6) }),
      )
      return undefined
    }
    return { siteId: site.site_id, settings: site }
  }

  function remember(writeKey: string, site: Site | undefined, now: number): void {
    cache.delete(writeKey)
    cache.set(writeKey, { site, fetchedAt: now })
    // Map order is insertion order: the first entry is the least recently fetched.
    if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string)
  }

  return {
    cacheSize: () => cache.size,
    async byWriteKey(writeKey) {
      const now = options.now()
      const hit = cache.get(writeKey)
      if (hit && now - hit.fetchedAt < ttlMs) return hit.site
      // Concurrent requests for the same key share one KV read.
      let pending = inflight.get(writeKey)
      if (!pending) {
        pending = load(writeKey).finally(() => inflight.delete(writeKey))
        inflight.set(writeKey, pending)
      }
      try {
        const site = await pending
        remember(writeKey, site, now)
        return site
      } catch (err) {
        if (hit && now - hit.fetchedAt < MAX_STALE_MS) {
          console.warn(
            JSON.stringify({ msg: 'SITES_KV read failed; serving cached site', error: String(err) }),
          )
          return hit.site
        }
        throw err
      }
    },
  }
}
