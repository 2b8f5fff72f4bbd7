/**
 * A per-site cache of serialized values with a TTL (the query result cache). Fails open:
 * an unreachable store is a miss on `get` and a no-op on `set`, never an error, so the
 * query service answers from ClickHouse when Redis is down.
 */
export interface Cache {
  get(siteId: string, key: string): Promise<string | undefined>
  set(siteId: string, key: string, value: string, ttlMs: number): Promise<void>
  delete(siteId: string, key: string): Promise<void>
}
