// The only way the page reaches Sightline: its public API, same origin, the user's read key
// as a Bearer header. The key lives in sessionStorage (gone with the tab), never in a URL.
const KEY_STORAGE = 'sightline.read_key'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

const SITES_STORAGE = 'sightline.sites'

/** What GET /v1/sites answers: the key's sites and each one's reporting time zone. */
export interface KeySites {
  sites: string[]
  /** Absent from a query service older than the field: the viewer's zone stands in. */
  time_zones?: Record<string, string>
}

export function storedKey(): string | undefined {
  return sessionStorage.getItem(KEY_STORAGE) ?? undefined
}
export function storeKey(key: string | undefined): void {
  if (key === undefined) {
    sessionStorage.removeItem(KEY_STORAGE)
    sessionStorage.removeItem(SITES_STORAGE)
  } else sessionStorage.setItem(KEY_STORAGE, key)
}
/** The key's sites as last seen in this tab: a reload renders at once, then checks again. */
export function storedSites(): KeySites | undefined {
  try {
    const seen = JSON.parse(sessionStorage.getItem(SITES_STORAGE) ?? 'null') as KeySites | null
    return Array.isArray(seen?.sites) && seen.sites.every((s) => typeof s === 'string') ? seen : undefined
  } catch {
    return undefined
  }
}
export function storeSites(sites: KeySites): void {
  sessionStorage.setItem(SITES_STORAGE, JSON.stringify(sites))
}

export type Params = Record<string, string>

/**
 * The query service admits a few requests in flight per read key (docs/api.md, "Limits") and
 * answers the next one 429 with Retry-After. A view asks for a dozen answers at once, so the
 * page queues its own requests at that limit and waits out a 429 instead of showing an error.
 */
const MAX_IN_FLIGHT = 6
const MAX_RETRIES = 3
let inFlight = 0
const waiting: Array<() => void> = []

async function slot<T>(run: () => Promise<T>): Promise<T> {
  if (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => waiting.push(resolve))
  inFlight += 1
  try {
    return await run()
  } finally {
    inFlight -= 1
    waiting.shift()?.()
  }
}

// The request's signal outlives the pause: its abort listener goes when the pause ends.
const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })

export class Api {
  constructor(
    readonly key: string,
    private readonly base = location.origin,
  ) {}

  sites(): Promise<KeySites> {
    return this.request('GET', '/v1/sites')
  }

  /** GET /v1/sites/:site/<kind>?…: an insight's convenience route. */
  insight<T>(site: string, kind: string, params: Params, signal?: AbortSignal): Promise<T> {
    const query = new URLSearchParams(params).toString()
    return this.request('GET', `/v1/sites/${encodeURIComponent(site)}/${kind}?${query}`, undefined, signal)
  }

  /** GET /v1/sites/:site/ingest: what the writer did with the site's events, and the canary lag. */
  ingest(site: string, params: IngestParams, signal?: AbortSignal): Promise<IngestAnswer> {
    const query = new URLSearchParams({ ...params }).toString()
    return this.request('GET', `/v1/sites/${encodeURIComponent(site)}/ingest?${query}`, undefined, signal)
  }

  /** POST /v1/sites/:site/query: any insight kind from a JSON spec. */
  query<T>(site: string, spec: { kind: string }, signal?: AbortSignal): Promise<T> {
    return this.request('POST', `/v1/sites/${encodeURIComponent(site)}/query`, spec, signal)
  }

  sql<T>(site: string, body: { sql: string; explain?: boolean }, signal?: AbortSignal): Promise<T> {
    return this.request('POST', `/v1/sites/${encodeURIComponent(site)}/sql`, body, signal)
  }

  private async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const res = await slot(() =>
        fetch(`${this.base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${this.key}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          ...(signal ? { signal } : {}),
        }),
      )
      if (res.status === 429 && attempt < MAX_RETRIES) {
        await res.body?.cancel()
        await pause(Number(res.headers.get('retry-after') ?? '1') * 1000, signal)
        continue
      }
      return this.answer<T>(res)
    }
  }

  private async answer<T>(res: Response): Promise<T> {
    const json = (await res.json().catch(() => undefined)) as
      | { error?: { code: string; message: string } }
      | undefined
    if (!res.ok) {
      const error = json?.error
      throw new ApiError(res.status, error?.code ?? 'internal', error?.message ?? `HTTP ${res.status}`)
    }
    return json as T
  }
}

/** The answers the views read (docs/api.md); only the fields they use. */
export interface Metrics {
  events: number
  pageviews: number
  visitors: number
  visits: number
  bounce_rate: number
  visit_duration_s: number
}
export interface StatsAnswer extends Metrics {
  previous: Metrics
}
export interface TrendsAnswer {
  buckets: { bucket: string; count: number; visitors: number }[]
}
export interface BreakdownRow {
  value: string
  visitors: number
  visits: number
  pageviews: number
  bounce_rate: number
  visit_duration_s: number
}
export interface BreakdownAnswer {
  rows: BreakdownRow[]
  total_groups: number
}
export interface RejectedAnswer {
  total: number
  groups: { stage: string; code: string; count: number; last_at: string; example_message: string }[]
}
export interface Explained {
  sql: string
  params: Record<string, unknown>
  /** Trends: the hourly-rollup plan the answer runs instead when it may, or why it may not. */
  rollup?: { sql: string; params: Record<string, unknown> } | { refused: string }
}
export interface EventNamesAnswer {
  events: { name: string; count: number; last_seen: string }[]
  newest_received_at: string | null
}
export interface FunnelStep {
  step: number
  event: string
  persons: number
  dropped: number
  conversion_from_previous: number
  conversion_from_first: number
  median_time_s: number | null
}
export interface FunnelAnswer {
  steps: FunnelStep[]
}
export interface RetentionAnswer {
  period: string
  tz: string
  cohorts: {
    period_start: string
    persons: number
    retained: { period: number; persons: number; rate: number }[]
  }[]
}
export interface PathNode {
  index: number
  step: number
  name: string | null
  other: boolean
  values: number
  units: number
  dropoff: number
}
export interface PathsAnswer {
  units: number
  nodes: PathNode[]
  links: { source: number; target: number; units: number }[]
}
export interface AttributionResult {
  model: string
  available: boolean
  reason: string | null
  conversions: number
  revenue: number
  credits: { label: string | null; conversions: number; revenue: number }[]
}
export interface AttributionAnswer {
  conversions: number
  revenue: number
  results: AttributionResult[]
}

/** GET /v1/sites/:site/ingest (docs/api.md): buckets are UTC, by the writer's commit minute. */
export type IngestInterval = 'minute' | 'hour' | 'day'
export interface IngestParams {
  from: string
  to: string
  interval: IngestInterval
}
export interface IngestCounts {
  inserted: number
  duplicates: number
  /** The sum of refused_by_reason. */
  refused: number
  refused_by_reason: { stage: string; reason: string; count: number }[]
}
export interface CanaryLag {
  bridge_id: string
  /** This bridge's canaries committed in the range. */
  canaries: number
  last_created_at: string
  /** The newest canary's writer commit time − its creation time. */
  last_lag_ms: number
  max_lag_ms: number
}
export interface IngestAnswer {
  site: string
  from: string
  to: string
  interval: IngestInterval
  totals: IngestCounts
  buckets: (IngestCounts & { start: string })[]
  /** The pipeline's, not the site's: every site sees the same bridges. */
  canaries: CanaryLag[]
}
