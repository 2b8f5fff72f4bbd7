import type { EnrichedEvent } from '@sightline/contracts'
import { z } from 'zod'
import { type EventRowOptions, toClickHouseTime, toEventRow } from '../event-row.ts'
import type { NamedQuery, QueryOptions, Warehouse } from '../port.ts'
import type { EncodedRow } from '../row-line.ts'

/** The `events` table: its inserts and the queries the pipeline itself runs on it. */

/** One insert per call; `dedupToken` must be deterministic for the batch (e.g. topic:partition:offsets). */
export async function insertEvents(
  warehouse: Warehouse,
  events: readonly EnrichedEvent[],
  dedupToken?: string,
  options: EventRowOptions = {},
): Promise<void> {
  const rows = events.map((e) => toEventRow(e, options))
  await warehouse.insert('events', rows, dedupToken === undefined ? {} : { dedupToken })
}

/** Rows the writer encoded ahead of time (sparse: column defaults fill the zero values). */
export async function insertEncodedEvents(
  warehouse: Warehouse,
  rows: readonly EncodedRow[],
  dedupToken: string,
): Promise<void> {
  await warehouse.insert('events', rows, { dedupToken })
}

const MessageKey = z.object({ site_id: z.string(), message_id: z.string() })
export type MessageKey = z.infer<typeof MessageKey>

/**
 * One page of the (site, message id) pairs received since `since`, newest first: what the
 * writer reloads into its dedup store when the store lost its memory. Runs on the ingest
 * lane, with a row limit sized to the page rather than the query service's default.
 */
export function recentMessageKeys(page: {
  since: Date
  limit: number
  offset: number
}): NamedQuery<MessageKey> {
  return {
    name: 'events.recent_message_keys',
    sql: `SELECT site_id, message_id FROM events
          WHERE received_at >= {since:DateTime64(3, 'UTC')}
          ORDER BY received_at DESC, site_id, message_id
          LIMIT {limit:UInt32} OFFSET {offset:UInt64}`,
    params: { since: toClickHouseTime(page.since), limit: page.limit, offset: page.offset },
    row: MessageKey,
    limits: { maxResultRows: Math.max(1, page.limit) },
  }
}

const Count = z.object({ c: z.coerce.number() })

/** Rows in `events`, optionally for one site (tests, benchmarks, the launcher's checks). */
export async function countEvents(
  warehouse: Warehouse,
  options: QueryOptions & { site?: string } = {},
): Promise<number> {
  const { site, ...queryOptions } = options
  const rows = await warehouse.query(
    site === undefined
      ? { name: 'events.count', sql: 'SELECT count() AS c FROM events', row: Count }
      : {
          name: 'events.count_site',
          sql: 'SELECT count() AS c FROM events WHERE site_id = {site:String}',
          params: { site },
          row: Count,
        },
    queryOptions,
  )
  return rows[0]?.c ?? 0
}

/** The engine answers a trivial read: used to tell "the warehouse is down" from "these rows are bad". */
export async function warehouseAnswers(warehouse: Warehouse, options: QueryOptions = {}): Promise<boolean> {
  try {
    await warehouse.query(
      { name: 'warehouse.ping', sql: 'SELECT 1 AS ok', row: z.object({ ok: z.coerce.number() }) },
      options,
    )
    return true
  } catch {
    return false
  }
}
