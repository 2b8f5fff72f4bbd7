import { Readable } from 'node:stream'
import { type ClickHouseClient, createClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import { DEFAULT_MAX_CONCURRENT_READS, resolveReadLimits } from './limits.ts'
import type { Warehouse, WarehouseConfig } from './port.ts'
import { ReadGate } from './read-gate.ts'
import { createWarehouse, type Lanes, type RawInsert } from './warehouse.ts'

// chdb 3.4 types its connection against @clickhouse/client-common 1.23.0 while the client
// 1.23.1 bundles its own copy; the two ClickHouseSettings types differ only nominally.
type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>

/**
 * Sent with every request in both modes. Without the escape, a property key with a dot
 * ("$screen.width") is stored as a nested path, and `{a: 1, "a.b": 2}` loses `a` (measured on
 * ClickHouse 26.7). The setting governs reads too, so keys come back as they were written.
 * A retried insert dropped as a duplicate by `events` must be dropped by the tables its
 * materialized views feed too (the hourly rollup), or the rollup would count it twice.
 */
export const SESSION_SETTINGS = {
  json_type_escape_dots_in_keys: 1,
  deduplicate_blocks_in_dependent_materialized_views: 1,
} as const

// Database names end up in `USE` and in DDL; anything but a plain identifier is refused so no
// caller-supplied text is ever spliced into SQL.
const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/

export function assertDatabaseName(name: string): void {
  if (!DATABASE_NAME.test(name)) throw new Error(`invalid ClickHouse database name: ${JSON.stringify(name)}`)
}

/**
 * Opens the warehouse the config names and makes `config.database` the current database, so
 * callers write unqualified table names (`SELECT count() FROM events`) in both modes.
 *
 * Two lanes, each its own client: `reads` for the query service and `ingest` for the writer,
 * migrations and KILL QUERY. A chdb session runs one statement at a time, so with one
 * session an insert waited behind a whole dashboard query (ADR 0014); over HTTP the lanes
 * keep separate socket pools for the same reason. Failures propagate as exceptions.
 */
export async function openWarehouse(config: WarehouseConfig): Promise<Warehouse> {
  assertDatabaseName(config.database)
  const limits = resolveReadLimits(config.reads, config.mode)
  const gate = new ReadGate(config.reads?.maxConcurrentReads ?? DEFAULT_MAX_CONCURRENT_READS[config.mode])
  const { lanes, rawInsert } =
    config.mode === 'embedded' ? await openEmbedded(config) : await openHttp(config)
  const stats = config.mode === 'embedded' ? 'progress' : 'summary'
  return createWarehouse({ lanes, rawInsert, database: config.database, limits, gate, stats })
}

interface ChdbRawInserter {
  chdb: {
    rawInsert(params: {
      table: string
      values: Buffer
      format: 'JSONEachRow'
      settings: Record<string, string | number>
    }): Promise<unknown>
  }
}

async function openChdbClient(path: string, database: string) {
  // chdb/connection ignores the client's `database` option (the HTTP layer sends it as a URL
  // parameter; the in-process connection has no URL). A chdb Session keeps `USE` per
  // session, and each lane owns its session, so one `USE` at open scopes every query.
  const connection = createChdbConnection({ path })
  const client = createClient({
    connection: connection as unknown as ClientConnection,
    clickhouse_settings: SESSION_SETTINGS,
  })
  try {
    await client.command({
      query: 'CREATE DATABASE IF NOT EXISTS {db:Identifier}',
      query_params: { db: database },
    })
    await client.command({ query: `USE ${database}` })
  } catch (error) {
    await client.close()
    throw error
  }
  return { client, connection: connection as unknown as ChdbRawInserter }
}

async function openEmbedded(
  config: Extract<WarehouseConfig, { mode: 'embedded' }>,
): Promise<{ lanes: Lanes; rawInsert: RawInsert }> {
  // Sessions on one path share the process's single engine; each has its own statement queue.
  const ingest = await openChdbClient(config.path, config.database)
  let reads: ClickHouseClient
  try {
    reads = (await openChdbClient(config.path, config.database)).client
  } catch (error) {
    await ingest.client.close()
    throw error
  }
  // chdb's raw insert passes the bytes to the engine's parallel parser without building
  // one giant SQL string first (the Connection path does that), and its settings are
  // per-insert rather than session-wide.
  const rawInsert: RawInsert = async (table, body, settings) => {
    await ingest.connection.chdb.rawInsert({
      table: `${config.database}.${table}`,
      values: Buffer.from(body),
      format: 'JSONEachRow',
      settings: { ...SESSION_SETTINGS, ...settings },
    })
  }
  return { lanes: { reads, ingest: ingest.client }, rawInsert }
}

async function openHttp(
  config: Extract<WarehouseConfig, { mode: 'http' }>,
): Promise<{ lanes: Lanes; rawInsert: RawInsert }> {
  const auth = { url: config.url, username: config.username ?? 'default', password: config.password ?? '' }
  // The server refuses a request whose `database` parameter names a missing database, so
  // the database is created through a short-lived client bound to `default` first.
  const bootstrap = createClient(auth)
  try {
    await bootstrap.command({
      query: 'CREATE DATABASE IF NOT EXISTS {db:Identifier}',
      query_params: { db: config.database },
    })
  } finally {
    await bootstrap.close()
  }
  const options = { ...auth, database: config.database, clickhouse_settings: SESSION_SETTINGS }
  const ingest = createClient(options)
  const reads = createClient(options)
  const rawInsert: RawInsert = async (table, body, settings) => {
    await ingest.insert({
      table,
      values: Readable.from([body]),
      format: 'JSONEachRow',
      clickhouse_settings: settings,
    })
  }
  return { lanes: { reads, ingest }, rawInsert }
}
