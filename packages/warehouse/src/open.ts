import { Readable } from 'node:stream'
import { type ClickHouseClient, createClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import type { InsertOptions, QueryParams, Warehouse, WarehouseConfig } from './port.ts'
import { encodeRow } from './row-line.ts'

// chdb 3.4 types its connection against @clickhouse/client-common 1.23.0 while the client
// 1.23.1 bundles its own copy; the two ClickHouseSettings types differ only nominally.
type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>

/**
 * Sent with every request in both modes. Without the escape, a property key with a dot
 * ("$screen.width") is stored as a nested path, and `{a: 1, "a.b": 2}` loses `a` (measured on
 * ClickHouse 26.7). The setting governs reads too, so keys come back as they were written.
 */
export const SESSION_SETTINGS = { json_type_escape_dots_in_keys: 1 } as const

// Database names end up in `USE` and in DDL; anything but a plain identifier is refused so no
// caller-supplied text is ever spliced into SQL.
const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/

export function assertDatabaseName(name: string): void {
  if (!DATABASE_NAME.test(name)) throw new Error(`invalid ClickHouse database name: ${JSON.stringify(name)}`)
}

/**
 * Opens the warehouse the config names and makes `config.database` the current database, so
 * callers write unqualified table names (`SELECT count() FROM events`) in both modes.
 * Failures propagate as exceptions; callers turn them into values.
 */
export async function openWarehouse(config: WarehouseConfig): Promise<Warehouse> {
  assertDatabaseName(config.database)
  const { client, rawInsert } =
    config.mode === 'embedded' ? await openEmbedded(config) : await openHttp(config)
  return wrap(client, rawInsert, config.database)
}

/** Hands a JSONEachRow body to the engine; both modes have a faster path than row objects. */
type RawInsert = (table: string, body: string, settings: Record<string, string | number>) => Promise<void>

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

async function openEmbedded(
  config: Extract<WarehouseConfig, { mode: 'embedded' }>,
): Promise<{ client: ClickHouseClient; rawInsert: RawInsert }> {
  // chdb/connection ignores the client's `database` option (the HTTP layer sends it as a URL
  // parameter; the in-process connection has no URL). A chdb Session keeps `USE` per
  // session, and each warehouse owns its session, so one `USE` at open scopes every query.
  const chdbConnection = createChdbConnection({ path: config.path })
  const connection = chdbConnection as unknown as ClientConnection
  const client = createClient({ connection, clickhouse_settings: SESSION_SETTINGS })
  // chdb's raw insert passes the bytes to the engine's parallel parser without building
  // one giant SQL string first (the Connection path does that), and its settings are
  // per-insert rather than session-wide.
  const raw = chdbConnection as unknown as ChdbRawInserter
  const rawInsert: RawInsert = async (table, body, settings) => {
    await raw.chdb.rawInsert({
      table: `${config.database}.${table}`,
      values: Buffer.from(body),
      format: 'JSONEachRow',
      settings: { ...SESSION_SETTINGS, ...settings },
    })
  }
  try {
    await client.command({
      query: 'CREATE DATABASE IF NOT EXISTS {db:Identifier}',
      query_params: { db: config.database },
    })
    await client.command({ query: `USE ${config.database}` })
  } catch (error) {
    await client.close()
    throw error
  }
  return { client, rawInsert }
}

async function openHttp(
  config: Extract<WarehouseConfig, { mode: 'http' }>,
): Promise<{ client: ClickHouseClient; rawInsert: RawInsert }> {
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
  const client = createClient({ ...auth, database: config.database, clickhouse_settings: SESSION_SETTINGS })
  const rawInsert: RawInsert = async (table, body, settings) => {
    await client.insert({
      table,
      values: Readable.from([body]),
      format: 'JSONEachRow',
      clickhouse_settings: settings,
    })
  }
  return { client, rawInsert }
}

function wrap(client: ClickHouseClient, rawInsert: RawInsert, database: string): Warehouse {
  return {
    database,
    client,
    async query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]> {
      const result = await client.query({ query: sql, query_params: params ?? {}, format: 'JSONEachRow' })
      return result.json<T>()
    },
    async command(sql: string, params?: QueryParams): Promise<void> {
      await client.command({ query: sql, query_params: params ?? {} })
    },
    async insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
      if (rows.length === 0) return
      // Rows may arrive pre-encoded (EncodedRow, see row-line.ts); those are sent as they are.
      const encodeOptions = { omitZeroValues: options?.omitZeroValues ?? false }
      let body = ''
      for (const row of rows) body += `${encodeRow(row, encodeOptions)}\n`
      // The token is always sent, even empty, so no earlier token can apply to this insert.
      await rawInsert(table, body, { insert_deduplication_token: options?.dedupToken ?? '' })
    },
    async close(): Promise<void> {
      await client.close()
    },
  }
}
