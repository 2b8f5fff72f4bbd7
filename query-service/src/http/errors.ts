import { ERROR_STATUS, type ErrorCode, errorBody } from '@sightline/contracts'
import type { Context } from 'hono'
import type { Logger } from 'pino'

/** Seconds a client should wait before retrying when the warehouse is unreachable. */
export const WAREHOUSE_RETRY_AFTER_S = 5

/**
 * An expected failure with a contract code. Routes throw it (rather than building bodies
 * themselves) so every error leaves through the one handler below with the same shape.
 */
export class ApiError extends Error {
  readonly code: ErrorCode
  readonly retryAfterS: number | undefined

  // Plain fields rather than parameter properties: Node's type stripping runs src/ directly
  // and does not support TypeScript-only syntax that emits code.
  constructor(code: ErrorCode, message: string, retryAfterS?: number) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    this.retryAfterS = retryAfterS
  }
}

export function errorResponse(c: Context, error: ApiError): Response {
  const requestId = (c.get('requestId') as string | undefined) ?? 'unknown'
  if (error.retryAfterS !== undefined) c.header('Retry-After', String(error.retryAfterS))
  return c.json(errorBody(error.code, error.message, requestId), ERROR_STATUS[error.code])
}

export function errorHandler(logger: Logger) {
  return (err: Error, c: Context): Response => {
    if (err instanceof ApiError) return errorResponse(c, err)
    // Anything else is a bug: log it in full, but never leak internals to the caller.
    logger.error({ err, request_id: c.get('requestId') }, 'unhandled error')
    return errorResponse(
      c,
      new ApiError('internal', 'Internal error; the request id identifies it in our logs.'),
    )
  }
}
