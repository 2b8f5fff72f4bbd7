/**
 * The writer's memory of which message_ids it already loaded, per site, within the dedup
 * window. Cluster: Redis (may run without persistence); embedded: in-process.
 */
export interface DedupStore {
  /** Changes whenever the store lost (or never had) its memory: the writer then re-checks ClickHouse. */
  epoch(): Promise<string>
  /** The keys from `keys` that the store has not seen within the window. */
  unseen(keys: readonly string[]): Promise<Set<string>>
  /** Mark keys as loaded (call only after the warehouse acknowledged them). */
  remember(keys: readonly string[]): Promise<void>
  /** Entries currently held (for metrics and bounds). */
  size(): Promise<number>
}

/** Key for one event: the dedup scope is the site, so two sites may share a message_id. */
export function dedupKey(siteId: string, messageId: string): string {
  return `${siteId}\u0000${messageId}`
}
