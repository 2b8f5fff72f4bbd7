import * as z from 'zod'
import { SiteSchema } from './config.ts'
import type { Site, SiteDirectory } from './sites.ts'

/**
 * How long a fetched list of sites is served before the next request fetches it again: the
 * bound on how late a change made with `npm run admin` reaches the embedded edge.
 */
export const REMOTE_TTL_MS = 1000
/** The hub down for longer than this: stop serving its last list, fall back to SITES. */
const MAX_STALE_MS = 10 * 60_000

const EdgeSitesSchema = z.object({ version: z.number(), sites: z.array(SiteSchema) })

export interface RemoteSitesOptions {
  /** The hub's `GET /admin/v1/edge/sites` (launcher/src/admin-api.ts). */
  url: string
  token: string
  now: () => number
  fetch: typeof fetch
  ttlMs?: number
  /** Static sites (SITES, as of the edge's start) for when the hub cannot be reached. */
  fallback: SiteDirectory
}

/**
 * Sites from the embedded hub's edge view, the whole list per fetch (an embedded install
 * has a handful). No promise is shared between requests — workerd ties I/O to the request
 * that started it — so requests arriving while the list is stale may each fetch once.
 */
export function remoteSites(options: RemoteSitesOptions): SiteDirectory {
  const ttlMs = options.ttlMs ?? REMOTE_TTL_MS
  let byKey: Map<string, Site> | undefined
  let fetchedAt = Number.NEGATIVE_INFINITY

  async function load(): Promise<void> {
    const res = await options.fetch(options.url, {
      headers: { authorization: `Bearer ${options.token}` },
      signal: AbortSignal.timeout(2000),
    })
    if (!res.ok) throw new Error(`edge sites: HTTP ${res.status}`)
    const parsed = EdgeSitesSchema.parse(await res.json())
    const next = new Map<string, Site>()
    for (const site of parsed.sites) {
      for (const key of [...site.revoked_keys, ...site.write_keys])
        next.set(key, { siteId: site.site_id, settings: site })
    }
    byKey = next
    fetchedAt = options.now()
  }

  return {
    async byWriteKey(writeKey) {
      if (options.now() - fetchedAt >= ttlMs) {
        try {
          await load()
        } catch (err) {
          console.warn(JSON.stringify({ msg: 'hub edge sites unavailable', error: String(err) }))
          if (options.now() - fetchedAt > MAX_STALE_MS) byKey = undefined
        }
      }
      return byKey ? byKey.get(writeKey) : options.fallback.byWriteKey(writeKey)
    },
  }
}
