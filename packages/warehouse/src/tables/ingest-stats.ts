import { toClickHouseTime } from '../event-row.ts'
import type { Warehouse } from '../port.ts'
import type { RejectStage } from './rejected.ts'

/**
 * The `ingest_stats` table (infra/clickhouse/0005_ingest_stats.sql): what the writer did with
 * each committed batch, per site and minute, and the canaries' end-to-end lag. Its row
 * mapping and inserts; the reads sum with GROUP BY (the engine folds rows only eventually).
 */

export type IngestOutcome = 'inserted' | 'duplicate' | 'refused' | 'canary'

/** One count of a committed batch, before it becomes a row. */
export type IngestCount =
  | { outcome: 'inserted' | 'duplicate'; siteId: string; events: number }
  | { outcome: 'refused'; siteId: string; stage: RejectStage; reason: string; events: number }
  | { outcome: 'canary'; bridgeId: string; createdAtMs: number; lagMs: number }

export interface IngestStatsRow {
  site_id: string
  /** Unix seconds of the minute's start (DateTime). */
  minute: number
  outcome: IngestOutcome
  stage: string
  reason: string
  bridge_id: string
  created_at: string
  events: number
  lag_ms: number
}

const MINUTE_MS = 60_000

/** The rows of one committed batch, all in the minute of `committedAtMs`. */
export function toIngestStatsRows(counts: readonly IngestCount[], committedAtMs: number): IngestStatsRow[] {
  const minute = Math.floor(committedAtMs / MINUTE_MS) * 60
  const blank = { stage: '', reason: '', bridge_id: '', created_at: toClickHouseTime(0), lag_ms: 0 }
  return counts.map((count): IngestStatsRow => {
    if (count.outcome === 'canary') {
      return {
        ...blank,
        site_id: '',
        minute,
        outcome: 'canary',
        bridge_id: count.bridgeId,
        created_at: toClickHouseTime(count.createdAtMs),
        events: 1,
        lag_ms: Math.round(count.lagMs),
      }
    }
    const row = { ...blank, site_id: count.siteId, minute, outcome: count.outcome, events: count.events }
    return count.outcome === 'refused' ? { ...row, stage: count.stage, reason: count.reason } : row
  })
}

/**
 * `dedupToken` names the batch, not the rows: a retry of the same batch may count its events
 * differently (they are duplicates by then), and must still be dropped if the first landed.
 */
export async function insertIngestStats(
  warehouse: Warehouse,
  rows: readonly IngestStatsRow[],
  dedupToken: string,
): Promise<void> {
  if (rows.length === 0) return
  await warehouse.insert('ingest_stats', rows, { dedupToken })
}
