import { type ErrorCode, errorBody, errorStatus } from '@sightline/contracts'
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export type AppEnv = { Variables: { requestId: string } }

/** Seconds a client should wait before retrying a 429/503 when nothing better is known. */
export const DEFAULT_RETRY_AFTER_S = 5

/**
 * The one way any error leaves the edge: the shared contract body, the status the code
 * maps to, and Retry-After on every retryable status so SDKs back off instead of hammering.
 */
export function fail(
  c: Context<AppEnv>,
  code: ErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
  retryAfterSeconds: number = DEFAULT_RETRY_AFTER_S,
): Response {
  const status = errorStatus(code)
  if (status === 429 || status === 503) c.header('retry-after', String(retryAfterSeconds))
  const requestId = c.get('requestId') ?? 'unknown'
  return c.json({ ...errorBody(code, message, requestId), ...extra }, status as ContentfulStatusCode)
}
