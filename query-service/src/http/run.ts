import { randomUUID } from 'node:crypto'
import { HttpError } from '@sightline/http'
import { type ReadLimits, type Warehouse, WarehouseError } from '@sightline/warehouse'
import type { Logger } from 'pino'
import type { z } from 'zod'
import type { Planned } from '../sql/fragment.ts'
import type { ReadTally } from './read-tally.ts'

/** Seconds a client should wait before retrying when the warehouse is unreachable. */
const WAREHOUSE_RETRY_AFTER_S = 5

export interface RunContext {
  warehouse: Warehouse
  logger: Logger
  requestId: string
  /** The request's signal: aborted when the client goes away, so the query is killed too. */
  signal?: AbortSignal
  /** When set, each read adds what the engine read for it (an answer's `meta.rows_read`). */
  tally?: ReadTally
}

/** A planned query with the name it runs under and the schema of its rows. */
export interface PlannedRead<S extends z.ZodType> {
  /** A constant from code (`insight.stats`), never input; it names the query in the engine. */
  name: string
  planned: Planned
  row: S
  /** Bounds tighter than the warehouse's defaults, for reads whose cost the caller chose. */
  limits?: Partial<ReadLimits>
  /** Engine-enforced read-only (readonly = 1), for SQL a user wrote. */
  readonly?: boolean
  /**
   * For SQL a user wrote: turns an engine refusal (syntax, unknown column) into that user's
   * 4xx before it would be read as an outage. Returns undefined for failures it does not own.
   */
  refused?: (err: unknown) => HttpError | undefined
}

/**
 * The query service's only call into the warehouse. The port bounds every read
 * (max_execution_time, max_memory_usage, max_result_rows from the warehouse's read-lane
 * config), checks each row against the kind's schema and kills the query when the signal
 * aborts. A query that hits a bound is the request's doing: 504 query_timeout or 422
 * query_too_large, so the caller narrows the question. Only an engine that does not answer
 * is a 503 + Retry-After. Causes go to the log only, since ClickHouse messages can echo SQL
 * and internal names.
 */
export async function runPlanned<S extends z.ZodType>(
  run: RunContext,
  read: PlannedRead<S>,
): Promise<z.output<S>[]> {
  const queryId = randomUUID()
  try {
    return await run.warehouse.query<z.output<S>>(
      {
        name: read.name,
        sql: read.planned.sql,
        params: read.planned.params,
        row: read.row as z.ZodType<z.output<S>>,
        ...(read.limits === undefined ? {} : { limits: read.limits }),
        ...(read.readonly === true ? { readonly: true } : {}),
      },
      {
        queryId,
        ...(run.signal === undefined ? {} : { signal: run.signal }),
        ...(run.tally === undefined ? {} : { onStats: run.tally.track() }),
      },
    )
  } catch (err) {
    const refused = read.refused?.(err)
    if (refused !== undefined) throw refused
    throw toHttpError(err, run, { request_id: run.requestId, query_id: queryId, query: read.name })
  }
}

function toHttpError(err: unknown, run: RunContext, ids: Record<string, unknown>): HttpError {
  const { logger, warehouse } = run
  const kind = err instanceof WarehouseError ? err.kind : 'failed'
  switch (kind) {
    case 'timeout':
      logger.warn({ err, ...ids }, 'query hit its time limit')
      return new HttpError(
        'query_timeout',
        `The query did not finish within ${warehouse.limits.maxExecutionTimeS} s; use a shorter range or a coarser interval.`,
      )
    case 'too_large':
      logger.warn({ err, ...ids }, 'query hit its memory or result limit')
      return new HttpError(
        'query_too_large',
        `The query needs more memory or rows than a query may use (at most ${warehouse.limits.maxResultRows} result rows); use a shorter range or a coarser interval.`,
      )
    case 'cancelled':
      // The client went away; nobody reads this answer, but it must not look like an outage.
      logger.info({ ...ids }, 'query cancelled: the client went away')
      return new HttpError('query_timeout', 'The query was cancelled because the request was aborted.')
    case 'bad_rows':
      logger.error({ err, ...ids }, 'warehouse rows do not match the query schema')
      return new HttpError('internal', 'Internal error; the request id identifies it in our logs.')
    default:
      logger.error({ err, ...ids }, 'warehouse query failed')
      return new HttpError('warehouse_unavailable', 'The warehouse did not answer; retry shortly.', {
        retryAfterS: WAREHOUSE_RETRY_AFTER_S,
      })
  }
}
