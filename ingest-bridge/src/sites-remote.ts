// Per-site settings followed over HTTP: the hub's bridge view (GET /admin/v1/bridge/sites),
// for bridges that cannot open the metadata database themselves — the local cluster's hub
// keeps it in PGlite, which one process may open at a time (SITES_URL, docs/bridge.md).
import { BridgeSiteSchema, followSites, type siteSettingsIndex } from '@sightline/metadata'
import * as z from 'zod'

/** How often the view is asked for: the bound on how late a settings change reaches the receiver. */
export const REMOTE_SITES_POLL_MS = 1000
/** One answer's deadline; a slow hub must not pile polls up behind it. */
const FETCH_TIMEOUT_MS = 2000

const BridgeSitesSchema = z.object({ version: z.number(), sites: z.array(BridgeSiteSchema) })
type BridgeSites = z.infer<typeof BridgeSitesSchema>

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
  let etag: string | undefined

  async function load(current: BridgeSites | undefined): Promise<BridgeSites | 'unchanged'> {
    const res = await fetchFn(options.url, {
      headers: {
        authorization: `Bearer ${options.token}`,
        ...(etag ? { 'if-none-match': etag } : {}),
      },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    })
    if (res.status === 304) return 'unchanged'
    if (!res.ok) {
      await res.body?.cancel()
      throw new Error(`the hub's bridge view (${options.url}) answered HTTP ${res.status}`)
    }
    const view = BridgeSitesSchema.parse(await res.json())
    etag = res.headers.get('etag') ?? undefined
    return view.version === current?.version ? 'unchanged' : view
  }

  const followed = await followSites({
    load,
    sites: (view) => view.sites,
    pollMs: options.pollMs ?? REMOTE_SITES_POLL_MS,
    onError: options.onError,
  })
  return {
    settings: followed.settings,
    version: () => followed.current().version,
    refresh: followed.refresh,
    stop: followed.stop,
  }
}
