// Per-site settings followed over HTTP: the hub's bridge view (GET /admin/v1/bridge/sites),
// for bridges that cannot open the metadata database themselves — the local cluster's hub
// keeps it in PGlite, which one process may open at a time (SITES_URL, docs/bridge.md).
import { BridgeSiteSchema, siteSettingsIndex } from '@sightline/metadata'
import * as z from 'zod'

/** How often the view is asked for: the bound on how late a settings change reaches the receiver. */
export const REMOTE_SITES_POLL_MS = 1000
/** One answer's deadline; a slow hub must not pile polls up behind it. */
const FETCH_TIMEOUT_MS = 2000

const BridgeSitesSchema = z.object({ version: z.number(), sites: z.array(BridgeSiteSchema) })

export interface RemoteSitesOptions {
  url: string
  token: string
  pollMs?: number
  fetch?: typeof fetch
  /** A poll that failed; the last view stays in use. */
  onError?: (err: unknown) => void
}

export interface RemoteSites {
  /** composePipeline's `sites`: answers from the last view fetched. */
  settings: ReturnType<typeof siteSettingsIndex>
  /** The hub catalog's version of that view. */
  version(): number
  /** Asks now; true when the view changed. */
  refresh(): Promise<boolean>
  stop(): void
}

/**
 * Fetches the view once (throwing if the hub does not give it: a bridge that would apply no
 * site's quota must not start as if it did), then polls it. Polls are conditional (ETag), so
 * an unchanged view costs the hub a 304. A failed poll keeps the last view: settings a moment
 * old are closer to the truth than the defaults (no quota, no raw IPs).
 */
export async function followRemoteSites(options: RemoteSitesOptions): Promise<RemoteSites> {
  const fetchFn = options.fetch ?? fetch
  let version = Number.NaN
  let etag: string | undefined
  let index = siteSettingsIndex([])
  let pending: Promise<boolean> | undefined

  async function load(): Promise<boolean> {
    const res = await fetchFn(options.url, {
      headers: {
        authorization: `Bearer ${options.token}`,
        ...(etag ? { 'if-none-match': etag } : {}),
      },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    })
    if (res.status === 304) return false
    if (!res.ok) {
      await res.body?.cancel()
      throw new Error(`the hub's bridge view (${options.url}) answered HTTP ${res.status}`)
    }
    const view = BridgeSitesSchema.parse(await res.json())
    etag = res.headers.get('etag') ?? undefined
    if (view.version === version) return false
    version = view.version
    index = siteSettingsIndex(view.sites)
    return true
  }
  // One request at a time: a poll due while one is out waits for it, then asks again.
  const refresh = async (): Promise<boolean> => {
    while (pending) await pending.catch(() => {})
    pending = load().finally(() => {
      pending = undefined
    })
    return pending
  }

  await refresh()
  const timer = setInterval(() => {
    if (!pending) refresh().catch((err) => options.onError?.(err))
  }, options.pollMs ?? REMOTE_SITES_POLL_MS)
  timer.unref()

  return {
    settings: {
      retentionDays: (siteId) => index.retentionDays(siteId),
      keepIp: (siteId) => index.keepIp(siteId),
      eventsPerMinute: (siteId) => index.eventsPerMinute(siteId),
    },
    version: () => version,
    refresh,
    stop: () => clearInterval(timer),
  }
}
