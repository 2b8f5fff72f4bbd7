import type { ErrorCode } from '@sightline/contracts'
import { DEFAULT_RETRY_AFTER_S, type RequestIdEnv, renderError } from '@sightline/http'
import type { Context } from 'hono'

export type AppEnv = RequestIdEnv

export { DEFAULT_RETRY_AFTER_S }

/**
 * The edge's refusals are values (a Response returned by a step), not exceptions: a route
 * returns `fail(...)` and carries on with no throw/catch on the hot path. It renders through
 * the shared error module, so the body, status and Retry-After rule are every service's.
 */
export function fail(
  c: Context<AppEnv>,
  code: ErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
  retryAfterSeconds: number = DEFAULT_RETRY_AFTER_S,
): Response {
  return renderError(c, code, message, { extra, retryAfterS: retryAfterSeconds })
}
