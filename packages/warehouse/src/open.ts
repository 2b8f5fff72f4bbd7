import { type ClickHouseClient, createClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import type { InsertOptions, QueryParams, Warehouse, WarehouseConfig } from './port.ts'

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
  const client = config.mode === 'embedded' ? await openEmbedded(config) : await openHttp(config)
  return wrap(client, config.database)
}

async function openEmbedded(
  config: Extract<WarehouseConfig, { mode: 'embedded' }>,
): Promise<ClickHouseClient> {
  // chdb/connection ignores the client's `database` option (the HTTP layer sends it as a URL
  // parameter; the in-process connection has no URL). A chdb Session keeps `USE` per
  // session, and each warehouse owns its session, so one `USE` at open scopes every query.
  const connection = createChdbConnection({ path: config.path }) as unknown as ClientConnection
  const client = createClient({ connection, clickhouse_settings: SESSION_SETTINGS })
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
  return client
}

async function openHttp(config: Extract<WarehouseConfig, { mode: 'http' }>): Promise<ClickHouseClient> {
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
  return createClient({ ...auth, database: config.database, clickhouse_settings: SESSION_SETTINGS })
}

function wrap(client: ClickHouseClient, database: string): Warehouse {
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
      await client.insert({
        table,
        values: rows as object[],
        format: 'JSONEachRow',
        // Always sent, even empty: chdb applies settings as session-wide `SET`, so a token left
        // over from the previous insert would silently drop this one as a duplicate.
        clickhouse_settings: { insert_deduplication_token: options?.dedupToken ?? '' },
      })
    },
    async close(): Promise<void> {
      await client.close()
    },
  }
}
