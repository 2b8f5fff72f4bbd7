/**
 * The writer's memory of which message_ids it already loaded, per site, within the dedup
 * window. Cluster: Redis (may run without persistence); embedded: in-process.
 *
 * Two marks per key: a *claim* naming the stream record that carries it (taken before the
 * insert, atomically, so two writers racing on the same message_id from two partitions
 * cannot both load it) and a *loaded* mark (after ClickHouse acknowledged). A claim by the
 * same record is not a duplicate: that is the redelivery after a writer died between claim
 * and insert, and it must load the row.
 */
export interface DedupStore {
  /** Changes whenever the store lost (or never had) its memory: the writer then re-checks ClickHouse. */
  epoch(): Promise<string>
  /**
   * Claims each key for the record (`source`) carrying it and returns the keys this delivery
   * must load: keys nobody claimed, and keys claimed earlier by the very same source but never
   * marked loaded. Keys loaded, or claimed by another source, are duplicates.
   * Throws `DedupEpochChangedError` when the store's epoch is no longer the one `epoch()` last
   * answered (the memory was lost in between): the caller must refill before trusting it.
   */
  claim(entries: readonly DedupClaim[]): Promise<Set<string>>
  /** Mark keys as loaded (call only after the warehouse acknowledged them; the refill uses it too). */
  remember(keys: readonly string[]): Promise<void>
  /** Entries currently held (for metrics and bounds; the Redis store answers for its own prefix). */
  size(): Promise<number>
}

export interface DedupClaim {
  key: string
  /** The stream record carrying the event, from `recordSource`. */
  source: string
}

/** Thrown by `claim` when the store lost its memory after the caller last read the epoch. */
export class DedupEpochChangedError extends Error {
  constructor(
    readonly expected: string | undefined,
    readonly actual: string | null,
  ) {
    super(
      `dedup store epoch changed (expected ${expected ?? 'none'}, found ${actual ?? 'none'}): refill first`,
    )
    this.name = 'DedupEpochChangedError'
  }
}

/** Key for one event: the dedup scope is the site, so two sites may share a message_id. */
export function dedupKey(siteId: string, messageId: string): string {
  return `${siteId}\u0000${messageId}`
}

/** The (site, message_id) pair back from a `dedupKey`. */
export function splitDedupKey(key: string): { siteId: string; messageId: string } {
  const at = key.indexOf('\u0000')
  if (at < 0) return { siteId: '', messageId: key }
  return { siteId: key.slice(0, at), messageId: key.slice(at + 1) }
}

/** Names one stream record; short because every claim stores it. */
export function recordSource(topic: string, partition: number, offset: number): string {
  return `${topic}/${partition}/${offset}`
}

/** The value a loaded key holds instead of a source (no source contains it: sources have slashes). */
export const LOADED_MARK = '+'
