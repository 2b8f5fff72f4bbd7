import type { Site } from './site.ts'

/** Why a write was refused: the admin API maps these to 404 / 409 / 400. */
export type Refusal = { ok: false; reason: 'not_found' | 'conflict' | 'invalid'; message: string }
export type Result<T> = { ok: true; value: T } | Refusal
export type StoreResult = { ok: true; site: Site } | Refusal

/** A read key as lists show it: never the key itself (only its hash is stored). */
export interface ReadKeyInfo {
  /** The first 12 hex digits of the key's SHA-256: names it in lists and `keys revoke`. */
  key_id: string
  site_id: string
  created_at: string
  revoked: boolean
}

export interface Goal {
  goal_id: number
  site_id: string
  name: string
  /** Exactly one of event_name and page_path: a conversion is that event, or a view of that page. */
  event_name: string | null
  page_path: string | null
  created_at: string
}
export type GoalInput = { site_id: string; name: string } & (
  | { event_name: string; page_path?: undefined }
  | { page_path: string; event_name?: undefined }
)

export interface SavedQuery {
  query_id: number
  site_id: string
  name: string
  /** A query spec, as POST /v1/sites/:site/query takes it. */
  spec: Record<string, unknown>
  created_at: string
  updated_at: string
}

/** Everything a reader caches (edge view, read-key resolver, writer settings), at one version. */
export interface MetadataSnapshot {
  version: number
  sites: Site[]
  /** Active read keys by hash. */
  readKeys: Array<{ key_hash: string; site_id: string }>
}

/**
 * The metadata store port: PostgreSQL (a server, or PGlite in-process for the embedded
 * install) behind one adapter, src/sql/store.ts. Site writes are whole sites, validated by
 * SiteSchema; write keys travel with the site, read keys have calls of their own because
 * the store only ever sees a read key to hash it.
 */
export interface SiteStore {
  list(): Promise<Site[]>
  get(siteId: string): Promise<Site | undefined>
  /** The site owning this write key, current or revoked. */
  byWriteKey(writeKey: string): Promise<Site | undefined>
  /** Refuses an existing id or a write key another site owns; stores the read keys' hashes. */
  create(site: Site, readKeys?: readonly string[]): Promise<StoreResult>
  /** Replaces an existing site's settings and write keys; refuses an unknown id or another site's key. */
  update(site: Site): Promise<StoreResult>

  /** Stores the hash of a new read key for the site (the caller shows the key once). */
  addReadKey(siteId: string, readKey: string): Promise<Result<ReadKeyInfo>>
  readKeys(siteId: string): Promise<ReadKeyInfo[]>
  /** By the key itself or by its key_id. */
  revokeReadKey(keyOrId: string): Promise<Result<ReadKeyInfo>>
  /** The sites a read key may query; undefined when it is unknown or revoked. */
  resolveReadKey(readKey: string): Promise<{ siteIds: string[] } | undefined>

  createGoal(goal: GoalInput): Promise<Result<Goal>>
  listGoals(siteId: string): Promise<Goal[]>
  deleteGoal(siteId: string, goalId: number): Promise<Result<Goal>>

  /** Creates, or replaces the spec of, the site's query of that name. */
  saveQuery(query: {
    site_id: string
    name: string
    spec: Record<string, unknown>
  }): Promise<Result<SavedQuery>>
  listQueries(siteId: string): Promise<SavedQuery[]>
  deleteQuery(siteId: string, queryId: number): Promise<Result<SavedQuery>>

  /** A counter every change moves: pollers compare it before reloading. */
  version(): Promise<number>
  snapshot(): Promise<MetadataSnapshot>
  close(): Promise<void>
}
