import { type DedupStore, dedupKey } from '@sightline/state'
import { recentMessageKeys, type Warehouse } from '@sightline/warehouse'

export interface RecoveryResult {
  loaded: number
  truncated: boolean
}

/**
 * When the dedup store's epoch changes (embedded restart, Redis restarted without
 * persistence), it no longer knows what was loaded. Refill it from the rows ClickHouse
 * received within the window, newest first, up to a bound: the warehouse is the truth.
 */
export async function refillDedupFromWarehouse(
  warehouse: Warehouse,
  dedup: DedupStore,
  options: { windowMs: number; maxKeys: number; pageSize?: number },
): Promise<RecoveryResult> {
  const pageSize = options.pageSize ?? 100_000
  const since = new Date(Date.now() - options.windowMs)
  let loaded = 0
  for (let offset = 0; offset < options.maxKeys; offset += pageSize) {
    const page = { since, limit: Math.min(pageSize, options.maxKeys - offset), offset }
    // The ingest lane: a refill must not queue behind the query service's reads.
    const rows = await warehouse.query(recentMessageKeys(page), { lane: 'ingest' })
    await dedup.remember(rows.map((r) => dedupKey(r.site_id, r.message_id)))
    loaded += rows.length
    if (rows.length < pageSize) return { loaded, truncated: false }
  }
  return { loaded, truncated: true }
}
