import { ERROR_STATUS, type ErrorCode, errorBody } from '@sightline/contracts'
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { HttpErrorOptions } from './http-error.ts'
import { REQUEST_ID_HEADER, type RequestIdEnv } from './request-id.ts'

/** Seconds a client should wait before retrying when nothing better is known. */
export const DEFAULT_RETRY_AFTER_S = 5

/** Statuses a client is told to retry later; every one of them carries Retry-After. */
const RETRY_LATER = new Set<number>([429, 503, 504])

/**
 * The one Retry-After rule of every service: 429, 503 and 504 carry it (whole seconds, at
 * least 1, the caller's hint or the default), and no other status does, so a client can
 * treat "Retry-After present" as "retry this exact request later".
 */
export function retryAfterFor(code: ErrorCode, hintS?: number): number | undefined {
  if (!RETRY_LATER.has(ERROR_STATUS[code])) return undefined
  const seconds = hintS ?? DEFAULT_RETRY_AFTER_S
  return Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : DEFAULT_RETRY_AFTER_S
}

/**
 * The one way an error leaves any Sightline service: the contract body, the status the code
 * maps to, Retry-After by the rule above, and the request id in body and header alike.
 */
export function renderError<E extends RequestIdEnv>(
  c: Context<E>,
  code: ErrorCode,
  message: string,
  options: HttpErrorOptions = {},
): Response {
  const requestId = (c as unknown as Context<RequestIdEnv>).get('requestId') ?? 'unknown'
  const retryAfter = retryAfterFor(code, options.retryAfterS)
  if (retryAfter !== undefined) c.header('retry-after', String(retryAfter))
  c.header(REQUEST_ID_HEADER, requestId)
  const body = { ...(options.extra ?? {}), ...errorBody(code, message, requestId) }
  return c.json(body, ERROR_STATUS[code] as ContentfulStatusCode)
}
