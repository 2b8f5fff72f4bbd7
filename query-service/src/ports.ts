/**
 * What the query service needs from the outside world beyond the warehouse. Kept tiny so the
 * embedded launcher (JSON file) and the cluster (PostgreSQL) can each supply their own.
 */
export interface ReadKeyResolver {
  /** The sites a secret read key may query, or undefined when the key is not known. */
  resolve(readKey: string): Promise<{ siteIds: string[] } | undefined>
}

export type Clock = () => Date

/**
 * The current instant and one-shot timers on the same clock, for code that waits until an
 * instant (a live query re-run when its relative range moves): a test moves both together
 * instead of sleeping. Handles are opaque; clearing an undefined or fired one is a no-op.
 */
export interface Timers {
  now(): number
  setTimeout(run: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/**
 * A site's reporting time zone (its `time_zone` setting), or undefined when unknown. The hub
 * answers from its site catalog; a query service with only a read-key file has no settings.
 */
export type SiteTimeZone = (siteId: string) => string | undefined

/** One file of the dashboard, held in memory (a few files, built before the service starts). */
export interface StaticAsset {
  body: Uint8Array<ArrayBuffer>
  /** Precompressed body, when compressing pays (text). */
  gzip?: Uint8Array<ArrayBuffer>
  type: string
  etag: string
  /** Content-hashed name: cacheable for good. */
  immutable: boolean
}

/** The dashboard's files by path under /dashboard/, or why there are none. */
export type DashboardAssets = { files: ReadonlyMap<string, StaticAsset> } | { missing: string }

/**
 * The data watermark: a token that changes whenever data a query could read has committed
 * (the writer's last loaded batch, dead letters included). The result cache keys every
 * answer by it, so an answer computed before a commit is never found after it.
 */
export interface Watermark {
  current(): string
}

/**
 * The data watermark per site, and a signal when it may have moved: what the live `query`
 * channel re-runs on (docs/live.md). `forSite` only changes when a commit touched the site
 * (or may have touched every site), so a busy site does not re-run another site's queries.
 */
export interface SiteWatermark {
  forSite(site: string): string
  /** Called after every commit with the sites it touched (undefined: possibly all). */
  onCommit(listener: (sites: ReadonlySet<string> | undefined) => void): () => void
}
