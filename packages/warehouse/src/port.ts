import type { ClickHouseClient } from '@clickhouse/client'

/**
 * Where the warehouse lives. Both modes go through @clickhouse/client, so every query is
 * written once: embedded plugs the in-process engine (chdb) in as the client's connection.
 */
export type WarehouseConfig =
  | { mode: 'embedded'; path: string; database: string }
  | { mode: 'http'; url: string; username?: string; password?: string; database: string }

export type QueryParams = Record<string, unknown>

export interface InsertOptions {
  /** Deterministic per batch: a retried insert of the same rows is dropped by ClickHouse. */
  dedupToken?: string
  /**
   * Leave out fields whose value is '', 0, false, null or [] so ClickHouse fills the column
   * default. Only for tables whose defaults are exactly those zero values (events): sparse
   * rows were ~1.7x faster to load in the ingest benchmark.
   */
  omitZeroValues?: boolean
}

export interface Warehouse {
  readonly database: string
  readonly client: ClickHouseClient
  /** Rows as objects (JSONEachRow). Values travel only in `params` ({name:Type} placeholders). */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]>
  command(sql: string, params?: QueryParams): Promise<void>
  insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void>
  close(): Promise<void>
}
