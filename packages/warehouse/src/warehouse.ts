import { randomUUID } from 'node:crypto'
import type { ClickHouseClient, ResponseHeaders } from '@clickhouse/client'
import { classifyEngineError, WarehouseError } from './errors.ts'
import { settingsClause } from './limits.ts'
import type {
  InsertOptions,
  Lane,
  NamedQuery,
  NamedStatement,
  QueryOptions,
  ReadLimits,
  Warehouse,
} from './port.ts'
import { GateRefused, type ReadGate } from './read-gate.ts'
import { NOT_A_ROW, ReadMeter, readFormat, type StatsSource } from './read-stats.ts'
import { encodeRow } from './row-line.ts'

export type Lanes = Record<Lane, ClickHouseClient>

/** Hands a JSONEachRow body to the engine; both modes have a faster path than row objects. */
export type RawInsert = (
  table: string,
  body: string,
  settings: Record<string, string | number>,
) => Promise<void>

const QUERY_NAME = /^[a-z][a-z0-9_.-]{0,99}$/
const QUERY_ID = /^[A-Za-z0-9_-]{1,64}$/
// A read gets its bounds appended as a SETTINGS clause, so it must end where a SELECT ends.
const TRAILING_CLAUSE = /\bSETTINGS\s+[a-z_]+\s*=[^)]*$|\bFORMAT\s+[A-Za-z]+\s*$/i

interface Parts {
  lanes: Lanes
  rawInsert: RawInsert
  database: string
  limits: ReadLimits
  gate: ReadGate
  /** How this mode learns what a read cost (read-stats.ts). */
  stats: StatsSource
}

interface Run {
  name: string
  queryId: string
  tag: string
  lane: Lane
  limits: ReadLimits
  signal: AbortSignal | undefined
}

export function createWarehouse(parts: Parts): Warehouse {
  const { lanes, rawInsert, gate } = parts

  function prepare(query: { name: string; limits?: Partial<ReadLimits> }, options: QueryOptions): Run {
    if (!QUERY_NAME.test(query.name)) throw new Error(`invalid query name: ${JSON.stringify(query.name)}`)
    const queryId = options.queryId ?? randomUUID()
    if (!QUERY_ID.test(queryId)) throw new Error(`invalid query id: ${JSON.stringify(queryId)}`)
    return {
      name: query.name,
      queryId,
      tag: `sightline:${query.name}:${queryId}`,
      lane: options.lane ?? 'reads',
      limits: { ...parts.limits, ...query.limits },
      signal: options.signal,
    }
  }

  /** The reads lane is gated; the ingest lane never waits for a read slot. */
  async function admit(run: Run): Promise<() => void> {
    if (run.lane === 'ingest') return () => {}
    try {
      return await gate.acquire(run.signal, Date.now() + run.limits.maxExecutionTimeS * 1000)
    } catch (err) {
      if (!(err instanceof GateRefused)) throw err
      const kind = err.why === 'aborted' ? 'cancelled' : 'timeout'
      throw new WarehouseError(kind, run.name, run.queryId, err.message)
    }
  }

  /**
   * Aborting a chdb read only settles its promise early: the engine keeps computing on a
   * libuv thread. KILL QUERY (through the ingest lane, since the reads session is busy with
   * the very query) stops it. Not parameterised on purpose: chdb runs every parameterised
   * query through one process-wide chain, where the kill would wait behind its target.
   */
  async function kill(run: Run): Promise<void> {
    try {
      await lanes.ingest.command({ query: `KILL QUERY WHERE Settings['log_comment'] = '${run.tag}' ASYNC` })
    } catch {
      // Best effort: the query may have just finished; max_execution_time still bounds it.
    }
  }

  function failure(run: Run, err: unknown): WarehouseError {
    if (err instanceof WarehouseError) return err
    const kind = run.signal?.aborted ? 'cancelled' : classifyEngineError(err)
    const message = err instanceof Error ? err.message : String(err)
    return new WarehouseError(kind, run.name, run.queryId, message, { cause: err })
  }

  function parseRow<Row>(query: NamedQuery<Row>, run: Run, raw: unknown): Row {
    const parsed = query.row.safeParse(raw)
    if (parsed.success) return parsed.data
    const issue = parsed.error.issues[0]
    const where = issue?.path.join('.') || '(row)'
    throw new WarehouseError(
      'bad_rows',
      run.name,
      run.queryId,
      `row does not match its schema at ${where}: ${issue?.message}`,
    )
  }

  /** A started run: its slot held and its abort wired to KILL QUERY until `end()`. */
  async function begin(query: NamedQuery<unknown>, options: QueryOptions) {
    const run = prepare(query, options)
    const sql = query.sql.trim().replace(/;$/, '')
    if (TRAILING_CLAUSE.test(sql))
      throw new Error(`${run.name}: a read must not end with its own SETTINGS or FORMAT clause`)
    const release = await admit(run)
    let killed: Promise<void> | undefined
    const stop = () => {
      killed ??= kill(run)
    }
    run.signal?.addEventListener('abort', stop, { once: true })
    return {
      run,
      sql: `${sql}\nSETTINGS ${settingsClause(run.limits, run.tag, { readonly: query.readonly === true })}`,
      /** A consumer that stops reading early also stops the engine. */
      stop,
      async end(): Promise<void> {
        run.signal?.removeEventListener('abort', stop)
        // The slot is freed only once the kill was delivered, so an aborted read cannot leave
        // its engine work running while a new read takes its place.
        if (killed) await killed
        release()
      },
    }
  }

  /**
   * `metered` reads (the caller passed onStats) ask for what tells this mode the cost: the
   * progress format, or, for a whole-result HTTP read, the server waiting for the query's end
   * so its summary header covers all of it. A stream keeps streaming, with a partial summary.
   */
  function start(
    run: Run,
    sql: string,
    params: NamedQuery<unknown>['params'],
    how: { metered: boolean; whole: boolean },
  ) {
    const waitForEnd = how.metered && how.whole && parts.stats === 'summary'
    return lanes[run.lane].query({
      query: sql,
      query_params: params ?? {},
      format: readFormat(parts.stats, how.metered),
      query_id: run.queryId,
      ...(waitForEnd ? { clickhouse_settings: { wait_end_of_query: 1 } } : {}),
      ...(run.signal ? { abort_signal: run.signal } : {}),
    })
  }

  /** A meter for a read that asked for its cost, else none (its items are its rows). */
  function meterFor(options: QueryOptions, headers: ResponseHeaders): ReadMeter | undefined {
    return options.onStats === undefined ? undefined : new ReadMeter(parts.stats, headers)
  }

  /**
   * chdb keeps what a progress-format read had written before it failed (its meta line, a
   * progress line) in the session and hands it out in front of the next statement's result:
   * an unmetered read then sees a `{"meta": …}` line as its first row (measured on chdb 3.4 /
   * engine 26.7; a plain JSONEachRow failure leaves nothing). One throwaway statement on the
   * same session takes it, before the read slot is given back. Unparameterised, so it does not
   * queue in chdb's process-wide chain of parameterised statements.
   */
  async function flushAfterFailedProgressRead(run: Run, metered: boolean): Promise<void> {
    if (!metered || parts.stats !== 'progress') return
    try {
      const result = await lanes[run.lane].query({ query: 'SELECT 1', format: 'JSONEachRow' })
      await result.text()
    } catch {
      // The engine is away: the next statement fails on its own.
    }
  }

  function report(options: QueryOptions, meter: ReadMeter | undefined): void {
    const stats = meter?.total()
    if (stats !== undefined) options.onStats?.(stats)
  }

  return {
    database: parts.database,
    limits: parts.limits,

    async query<Row>(query: NamedQuery<Row>, options: QueryOptions = {}): Promise<Row[]> {
      const started = await begin(query, options)
      const { run } = started
      const metered = options.onStats !== undefined
      try {
        const result = await start(run, started.sql, query.params, { metered, whole: true })
        const items = (await result.json<unknown>()) as unknown[]
        const meter = meterFor(options, result.response_headers)
        const rows: Row[] = []
        for (const item of items) {
          const raw = meter === undefined ? item : meter.take(item)
          if (raw !== NOT_A_ROW) rows.push(parseRow(query, run, raw))
        }
        report(options, meter)
        return rows
      } catch (err) {
        await flushAfterFailedProgressRead(run, metered)
        throw failure(run, err)
      } finally {
        await started.end()
      }
    },

    async *stream<Row>(query: NamedQuery<Row>, options: QueryOptions = {}): AsyncGenerator<Row> {
      const started = await begin(query, options)
      const { run } = started
      let complete = false
      const metered = options.onStats !== undefined
      try {
        const result = await start(run, started.sql, query.params, { metered, whole: false })
        const meter = meterFor(options, result.response_headers)
        const source = result.stream<unknown>()
        try {
          for await (const chunk of source) {
            for (const item of chunk) {
              const raw = meter === undefined ? item.json() : meter.take(item.json())
              if (raw !== NOT_A_ROW) yield parseRow(query, run, raw)
            }
          }
          complete = true
          report(options, meter)
        } finally {
          source.destroy()
        }
      } catch (err) {
        await flushAfterFailedProgressRead(run, metered)
        throw failure(run, err)
      } finally {
        if (!complete) started.stop()
        await started.end()
      }
    },

    async command(statement: NamedStatement): Promise<void> {
      const run = prepare(statement, { lane: 'ingest' })
      try {
        await lanes.ingest.command({
          query: statement.sql,
          query_params: statement.params ?? {},
          query_id: run.queryId,
        })
      } catch (err) {
        throw failure(run, err)
      }
    },

    async insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
      if (rows.length === 0) return
      // Rows may arrive pre-encoded (EncodedRow, see row-line.ts); those are sent as they are.
      const encodeOptions = { omitZeroValues: options?.omitZeroValues ?? false }
      let body = ''
      for (const row of rows) body += `${encodeRow(row, encodeOptions)}\n`
      // The token is always sent, even empty, so no earlier token can apply to this insert.
      // Insert errors stay the engine's own: the writer reads their text to isolate poison rows.
      await rawInsert(table, body, { insert_deduplication_token: options?.dedupToken ?? '' })
    },

    async close(): Promise<void> {
      await Promise.all([lanes.reads.close(), lanes.ingest.close()])
    },
  }
}
