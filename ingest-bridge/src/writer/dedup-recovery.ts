import { type DedupStore, dedupKey } from '@sightline/state'
import type { Warehouse } from '@sightline/warehouse'

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
  const since = new Date(Date.now() - options.windowMs).toISOString().replace('T', ' ').replace('Z', '')
  let loaded = 0
  for (let offset = 0; offset < options.maxKeys; offset += pageSize) {
    const rows = await warehouse.query<{ site_id: string; message_id: string }>(
      `SELECT site_id, message_id FROM events
       WHERE received_at >= {since:DateTime64(3, 'UTC')}
       ORDER BY received_at DESC, site_id, message_id
       LIMIT {limit:UInt32} OFFSET {offset:UInt64}`,
      { since, limit: Math.min(pageSize, options.maxKeys - offset), offset },
    )
    await dedup.remember(rows.map((r) => dedupKey(r.site_id, r.message_id)))
    loaded += rows.length
    if (rows.length < pageSize) return { loaded, truncated: false }
  }
  return { loaded, truncated: true }
}
