import { HttpError } from '@sightline/http'
import type { Warehouse } from '@sightline/warehouse'
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

/**
 * Runs a planned query. A failing warehouse is an outage to wait out, not a bug in the
 * request: the caller gets 503 + Retry-After and the cause goes to the log only, since
 * ClickHouse messages can echo SQL and internal names.
 */
export async function runPlanned<T>(
  warehouse: Warehouse,
  logger: Logger,
  c: Context,
  planned: Planned,
): Promise<T[]> {
  try {
    return await warehouse.query<T>(planned.sql, planned.params)
  } catch (err) {
    logger.error({ err, request_id: c.get('requestId') }, 'warehouse query failed')
    throw new HttpError('warehouse_unavailable', 'The warehouse did not answer; retry shortly.', {
      retryAfterS: WAREHOUSE_RETRY_AFTER_S,
    })
  }
}
