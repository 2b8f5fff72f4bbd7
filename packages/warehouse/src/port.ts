import type { z } from 'zod'

/**
 * Runtime bounds of every read. Defaults come from config (DEFAULT_READ_LIMITS); a query may
 * tighten or widen them for itself (the writer's dedup refill reads 100k-row pages).
 */
export interface ReadLimits {
  /** Seconds before the engine stops the query (max_execution_time). */
  maxExecutionTimeS: number
  /** Bytes of memory one query may use (max_memory_usage). */
  maxMemoryBytes: number
  /** Rows a result may hold (max_result_rows, result_overflow_mode = 'throw'). */
  maxResultRows: number
  /** Threads one read may use (max_threads; 0 = the engine's default, one per core; embedded default: cores − 1). */
  maxThreads: number
}

export interface ReadLaneConfig extends Partial<ReadLimits> {
  /**
   * Reads in flight at once (default 1 embedded, 4 over HTTP); the rest queue, and the wait
   * counts against the deadline. In embedded mode each read holds a libuv worker thread for
   * its whole run, the pool the writer's inserts and the segment log's fsyncs use (ADR 0014).
   */
  maxConcurrentReads?: number
}

/**
 * Where the warehouse lives. Both modes go through @clickhouse/client, so every query is
 * written once: embedded plugs the in-process engine (chdb) in as the client's connection.
 */
export type WarehouseConfig = (
  | { mode: 'embedded'; path: string; database: string }
  | { mode: 'http'; url: string; username?: string; password?: string; database: string }
) & { reads?: ReadLaneConfig }

/** Values bound to `{name:Type}` placeholders; arrays bind to `Array(T)`. */
export type QueryParams = Record<string, unknown>

/**
 * A named, parameterised query with the shape of its rows. The name shows up in the
 * engine's process list and logs (log_comment), so an operator can tell what is running.
 */
export interface NamedQuery<Row> {
  name: string
  sql: string
  params?: QueryParams
  row: z.ZodType<Row>
  /** Per-query bounds over the configured defaults. */
  limits?: Partial<ReadLimits>
  /**
   * Runs with `readonly = 1`: the engine refuses anything but reading (writes, DDL, SET) and
   * table functions (`file()`, `url()`, …), whatever the SQL says. For SQL a user wrote.
   */
  readonly?: boolean
}

/** A statement with no result rows (DDL, maintenance). */
export interface NamedStatement {
  name: string
  sql: string
  params?: QueryParams
}

/**
 * `reads` (the default) is bounded and concurrency-limited for the query service; `ingest`
 * is the writer's own session, so its few small reads never queue behind a dashboard.
 */
export type Lane = 'reads' | 'ingest'

/**
 * What the engine read from tables to answer one read: the cost of the query, not the size
 * of its result (a `count()` over a million rows reads a million rows and returns one).
 */
export interface ReadStats {
  rowsRead: number
  /** Uncompressed bytes of the columns read. */
  bytesRead: number
}

export interface QueryOptions {
  /** Aborting rejects at once and kills the running query in the engine. */
  signal?: AbortSignal
  /** Identifies the run (logs, KILL QUERY); generated when absent. */
  queryId?: string
  lane?: Lane
  /**
   * Called once, after the read completed (a stream: iterated to its end), with what the
   * engine read for it; not called when the read fails or the engine did not say (an HTTP
   * answer without X-ClickHouse-Summary). Opt-in because it costs a little: an embedded read
   * then comes in a format that carries the engine's progress (~15% slower to parse for a
   * 100k-row result, nothing to notice for an aggregate), and an HTTP `query` has the server
   * wait for the query's end before answering, so its summary covers the whole query. An HTTP
   * `stream` keeps streaming: its summary is what the server had read when the first rows
   * left, a lower bound. How each mode measures: read-stats.ts.
   */
  onStats?: (stats: ReadStats) => void
}

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

/**
 * The warehouse port. There is no raw client: every read is named, bound, bounded,
 * cancellable and checked against its row schema, in both modes.
 */
export interface Warehouse {
  readonly database: string
  readonly limits: Readonly<ReadLimits>
  /** All rows, each parsed by `query.row`. Failures are WarehouseError values thrown. */
  query<Row>(query: NamedQuery<Row>, options?: QueryOptions): Promise<Row[]>
  /**
   * Rows as they arrive; the read slot is held until the iteration ends, and breaking off
   * early kills the query. Over HTTP rows arrive while the server computes; chdb hands over
   * its whole result at once (bounded by max_result_rows), so embedded streaming saves the
   * consumer's memory, not the engine's.
   */
  stream<Row>(query: NamedQuery<Row>, options?: QueryOptions): AsyncIterable<Row>
  /** Runs on the ingest lane (migrations, maintenance). */
  command(statement: NamedStatement): Promise<void>
  insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void>
  close(): Promise<void>
}
