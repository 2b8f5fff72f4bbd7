import { randomUUID } from 'node:crypto'
import { HttpError } from '@sightline/http'
import { type Warehouse, WarehouseError } from '@sightline/warehouse'
import type { Context } from 'hono'
import type { Logger } from 'pino'
import type { z } from 'zod'
import type { Planned } from '../planner/index.ts'
import { describeIssues } from './params.ts'

/** Seconds a client should wait before retrying when the warehouse is unreachable. */
const WAREHOUSE_RETRY_AFTER_S = 5

/** Validates the query string against a route's schema; failures become 400 invalid_query. */
export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.query())
  if (!parsed.success) throw new HttpError('invalid_query', describeIssues(parsed.error))
  return parsed.data
}

/** A planned query with the name it runs under and the shape of its rows. */
export interface PlannedRead<Row> {
  name: string
  planned: Planned
  row: z.ZodType<Row>
}

/**
 * Runs a planned query, bounded by the warehouse's read limits and cancelled (in the engine
 * too) when the client goes away. A query that hits a bound is the request's doing: 504
 * query_timeout or 422 query_too_large, so the caller narrows the question instead of
 * retrying it. Only an engine that does not answer is a 503 + Retry-After. Causes go to the
 * log only, since ClickHouse messages can echo SQL and internal names.
 */
export async function runPlanned<Row>(
  warehouse: Warehouse,
  logger: Logger,
  c: Context,
  read: PlannedRead<Row>,
): Promise<Row[]> {
  const queryId = randomUUID()
  try {
    return await warehouse.query(
      { name: read.name, sql: read.planned.sql, params: read.planned.params, row: read.row },
      { signal: c.req.raw.signal, queryId },
    )
  } catch (err) {
    throw toHttpError(err, warehouse, logger, { request_id: c.get('requestId'), query_id: queryId })
  }
}

function toHttpError(
  err: unknown,
  warehouse: Warehouse,
  logger: Logger,
  ids: Record<string, unknown>,
): HttpError {
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
