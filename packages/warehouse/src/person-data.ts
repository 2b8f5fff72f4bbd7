import { z } from 'zod'
import type { Warehouse } from './port.ts'
import { membersOf } from './tables/person-overrides.ts'

/**
 * Everything stored about one person, across tables (docs/persons.md#deletion-and-export):
 * find their ids, export their rows, delete them and follow the deletion. A person's rows
 * are every row that names any of their ids — in `events` as person, anonymous, user or
 * previous id; in `person_overrides` as id or person; in `rejected` in the refused
 * payload's id fields (native and Segment spellings) — so nothing that mentions them stays.
 * These are operator actions (the admin API); they run on the ingest lane, unbounded by the
 * query service's read limits, with their own.
 */

const Person = z.object({ person: z.string() })
const Count = z.object({ c: z.coerce.number() })

/** The person an id belongs to and all of its ids (the id alone when it was never merged). */
export async function personIdsOf(
  warehouse: Warehouse,
  site: string,
  id: string,
): Promise<{ person: string; ids: string[] }> {
  const [found] = await warehouse.query(
    {
      name: 'person.of',
      sql: `SELECT argMax(person, version) AS person FROM person_overrides
            WHERE site_id = {site:String} AND id = {id:String}`,
      params: { site, id },
      row: Person,
    },
    { lane: 'ingest' },
  )
  const person = found?.person ? found.person : id
  // A person holds at most MAX_IDS_PER_PERSON ids plus one batch's links; this reads them all.
  const members = await membersOf(warehouse, site, [person], { perPerson: 1_000_000 })
  return { person, ids: members.length === 0 ? [person] : members.map((m) => m.id) }
}

/** Per table: a predicate over `{site:String}` and `{ids:Array(String)}` naming the person's rows. */
const PERSON_ROWS = {
  events: `site_id = {site:String} AND (person_id IN {ids:Array(String)} OR anonymous_id IN {ids:Array(String)}
           OR user_id IN {ids:Array(String)} OR previous_id IN {ids:Array(String)})`,
  person_overrides:
    'site_id = {site:String} AND (id IN {ids:Array(String)} OR person IN {ids:Array(String)})',
  // Refused events are raw payloads: look for the ids where a client puts them.
  rejected: `site_id = {site:String} AND (
           JSONExtractString(payload, 'anonymous_id') IN {ids:Array(String)} OR JSONExtractString(payload, 'user_id') IN {ids:Array(String)}
           OR JSONExtractString(payload, 'previous_id') IN {ids:Array(String)} OR JSONExtractString(payload, 'anonymousId') IN {ids:Array(String)}
           OR JSONExtractString(payload, 'userId') IN {ids:Array(String)} OR JSONExtractString(payload, 'previousId') IN {ids:Array(String)})`,
} as const
export type PersonTable = keyof typeof PERSON_ROWS
export const PERSON_TABLES = Object.keys(PERSON_ROWS) as PersonTable[]

/** Generous bounds for operator reads: a person's rows, not a dashboard. */
const OPERATOR_LIMITS = { maxExecutionTimeS: 300, maxResultRows: 50_000_000 }

export interface DeletionProgress {
  /** True once no table holds a row of the person and no deletion is still running. */
  done: boolean
  /** Rows of the person still visible, per table. */
  remaining: Record<PersonTable, number>
  /** Unfinished mutations (lightweight deletes included) on these tables, anyone's. */
  pending_mutations: number
}

/**
 * Starts deleting every row of the person from every table. ClickHouse deletes are
 * mutations: the statements return once queued (`lightweight_deletes_sync = 0`,
 * `mutations_sync = 0`) and the rows disappear when each mutation has run; follow them with
 * `deletionProgress`. `events` and `rejected` use lightweight DELETE (rows are masked at
 * once per part, purged by later merges); `person_overrides` is a ReplacingMergeTree whose
 * superseded versions must go too, so it gets an ALTER … DELETE that rewrites its parts.
 */
export async function startPersonDeletion(warehouse: Warehouse, site: string, ids: readonly string[]) {
  const params = { site, ids: [...ids] }
  await warehouse.command({
    name: 'person.delete.events',
    sql: `DELETE FROM events WHERE ${PERSON_ROWS.events} SETTINGS lightweight_deletes_sync = 0`,
    params,
  })
  await warehouse.command({
    name: 'person.delete.rejected',
    sql: `DELETE FROM rejected WHERE ${PERSON_ROWS.rejected} SETTINGS lightweight_deletes_sync = 0`,
    params,
  })
  await warehouse.command({
    name: 'person.delete.person_overrides',
    sql: `ALTER TABLE person_overrides DELETE WHERE ${PERSON_ROWS.person_overrides} SETTINGS mutations_sync = 0`,
    params,
  })
}

/** How far a deletion has got: rows left per table and mutations still running. */
export async function deletionProgress(
  warehouse: Warehouse,
  site: string,
  ids: readonly string[],
): Promise<DeletionProgress> {
  const params = { site, ids: [...ids] }
  const remaining = {} as Record<PersonTable, number>
  for (const table of PERSON_TABLES) {
    const [row] = await warehouse.query(
      {
        name: `person.remaining.${table}`,
        sql: `SELECT count() AS c FROM ${table} WHERE ${PERSON_ROWS[table]}`,
        params,
        row: Count,
        limits: OPERATOR_LIMITS,
      },
      { lane: 'ingest' },
    )
    remaining[table] = row?.c ?? 0
  }
  const [pending] = await warehouse.query(
    {
      name: 'person.pending_mutations',
      sql: `SELECT count() AS c FROM system.mutations
            WHERE database = currentDatabase() AND table IN {tables:Array(String)} AND NOT is_done AND NOT is_killed`,
      params: { tables: PERSON_TABLES },
      row: Count,
    },
    { lane: 'ingest' },
  )
  const pendingMutations = pending?.c ?? 0
  const done = pendingMutations === 0 && PERSON_TABLES.every((t) => remaining[t] === 0)
  return { done, remaining, pending_mutations: pendingMutations }
}

const AnyRow = z.record(z.string(), z.unknown())

/**
 * Every stored row of the person, one JSON object per line (NDJSON): a header line
 * `{"kind":"person_export",…}` with the ids, then `{"table":…,"row":{…}}` per row, table by
 * table, rows in time order. Rows stream from the engine, so memory stays flat here.
 */
export async function* exportPersonRows(
  warehouse: Warehouse,
  site: string,
  person: { person: string; ids: readonly string[] },
  now: Date = new Date(),
): AsyncIterable<string> {
  yield `${JSON.stringify({ kind: 'person_export', site, person: person.person, ids: person.ids, exported_at: now.toISOString() })}\n`
  const params = { site, ids: [...person.ids] }
  const order: Record<PersonTable, string> = {
    events: 'ts, message_id',
    person_overrides: 'id, version',
    rejected: 'received_at, message_id',
  }
  for (const table of PERSON_TABLES) {
    const rows = warehouse.stream(
      {
        name: `person.export.${table}`,
        sql: `SELECT * FROM ${table} WHERE ${PERSON_ROWS[table]} ORDER BY ${order[table]}`,
        params,
        row: AnyRow,
        limits: OPERATOR_LIMITS,
      },
      { lane: 'ingest' },
    )
    for await (const row of rows) yield `${JSON.stringify({ table, row })}\n`
  }
}
