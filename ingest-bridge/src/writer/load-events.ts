import type { EnrichedEvent } from '@sightline/contracts'
import {
  EncodedRow,
  encodeRow,
  warehouseAnswers as engineAnswers,
  insertEncodedEvents,
  toEventRow,
  type Warehouse,
} from '@sightline/warehouse'
import { insertToken } from './decode.ts'

export interface Unloadable {
  event: EnrichedEvent
  key: string
  reason: string
}

export interface PreparedRows {
  /** Encoded up front (sparse JSONEachRow) so the work can overlap the previous insert. */
  rows: EncodedRow[]
  keys: string[]
  /** Events that cannot become a row at all (e.g. a malformed time from a buggy edge). */
  unloadable: Unloadable[]
}

export function emptyPreparedRows(): PreparedRows {
  return { rows: [], keys: [], unloadable: [] }
}

/**
 * Events `from`..`to` → encoded rows appended to `out`, one at a time, so one malformed event
 * cannot block its whole batch (and a caller can encode a large batch in slices). Each row
 * carries its site's retention (the events table's TTL reads it, ADR 0003).
 */
export function appendPreparedRows(
  out: PreparedRows,
  events: readonly EnrichedEvent[],
  keys: readonly string[],
  range: { from: number; to: number },
  retentionDays?: (siteId: string) => number,
): void {
  const to = Math.min(range.to, events.length)
  for (let i = range.from; i < to; i++) {
    const event = events[i]!
    try {
      const options = retentionDays ? { retentionDays: retentionDays(event.site_id) } : {}
      out.rows.push(
        new EncodedRow(encodeRow(toEventRow(event, options), { omitZeroValues: true }), event.site_id),
      )
      out.keys.push(keys[i]!)
    } catch (err) {
      out.unloadable.push({ event, key: keys[i]!, reason: (err as Error).message })
    }
  }
}

export interface IsolationResult {
  loadedKeys: string[]
  refused: Array<{ row: EncodedRow; key: string; reason: string }>
  /** The failure budget ran out: the rest is left for the next delivery (which skips what loaded). */
  gaveUp: boolean
}

/**
 * One insert of prepared rows. The token names exactly these events, so retrying the same
 * rows (a whole batch or one bisection slice) is dropped by ClickHouse as a duplicate.
 */
export async function insertRows(warehouse: Warehouse, rows: readonly EncodedRow[], keys: readonly string[]) {
  await insertEncodedEvents(warehouse, rows, await insertToken(keys))
}

/**
 * ClickHouse refused a batch that the warehouse otherwise accepts: find the rows it refuses
 * by splitting the batch in halves until single rows remain. Every sub-insert carries its
 * own deterministic token, so a redelivery after a crash cannot load a row twice. A row is
 * poison only if it fails alone while the warehouse is answering; the caller checks that.
 */
export async function insertIsolatingPoison(
  warehouse: Warehouse,
  rows: readonly EncodedRow[],
  keys: readonly string[],
  /** Bounds the work when everything fails (k refused rows cost ~2k·log2(n) attempts). */
  maxFailedAttempts = 200,
): Promise<IsolationResult> {
  const result: IsolationResult = { loadedKeys: [], refused: [], gaveUp: false }
  let failed = 0
  async function attempt(from: number, to: number): Promise<void> {
    if (result.gaveUp) return
    const slice = rows.slice(from, to)
    const sliceKeys = keys.slice(from, to)
    try {
      await insertRows(warehouse, slice, sliceKeys)
      result.loadedKeys.push(...sliceKeys)
    } catch (err) {
      failed += 1
      if (failed > maxFailedAttempts) {
        result.gaveUp = true
        return
      }
      if (slice.length === 1) {
        result.refused.push({
          row: slice[0]!,
          key: sliceKeys[0]!,
          reason: (err as Error).message.slice(0, 500),
        })
        return
      }
      const mid = from + Math.ceil((to - from) / 2)
      await attempt(from, mid)
      await attempt(mid, to)
    }
  }
  await attempt(0, rows.length)
  return result
}

/** A warehouse that cannot run `SELECT 1` is down: its refusals say nothing about the rows. */
export function warehouseAnswers(warehouse: Warehouse): Promise<boolean> {
  // The ingest lane: a busy query service must not make the writer think the engine is down.
  return engineAnswers(warehouse, { lane: 'ingest' })
}
