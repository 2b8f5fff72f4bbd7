/**
 * One error-code enum for every service, with the HTTP status each code maps to.
 * Every 4xx/5xx body is `{"error":{"code","message","docs","request_id"}}`.
 */
export const ERROR_STATUS = {
  invalid_json: 400,
  invalid_event: 400,
  unsupported_event: 400,
  invalid_request: 400,
  invalid_query: 400,
  empty_batch: 400,
  too_many_events: 413,
  payload_too_large: 413,
  unsupported_media_type: 415,
  missing_write_key: 401,
  unknown_write_key: 401,
  revoked_write_key: 401,
  missing_read_key: 401,
  unknown_read_key: 401,
  forbidden_site: 403,
  missing_admin_token: 401,
  unknown_admin_token: 401,
  conflict: 409,
  bot_blocked: 403,
  forbidden_origin: 403,
  invalid_signature: 401,
  stale_signature: 401,
  not_found: 404,
  method_not_allowed: 405,
  query_too_large: 422,
  rate_limited: 429,
  site_quota_exceeded: 429,
  internal: 500,
  not_durable: 503,
  no_bridge_available: 503,
  site_config_unavailable: 503,
  warehouse_unavailable: 503,
  query_timeout: 504,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode]

export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[]

/** Docs anchors live in docs/errors.md; a test checks every code has a section. */
export const ERROR_DOCS_BASE = 'https://github.com/sightline-analytics/sightline/blob/main/docs/errors.md'

export interface ErrorBody {
  error: { code: ErrorCode; message: string; docs: string; request_id: string }
}

export function errorBody(code: ErrorCode, message: string, requestId: string): ErrorBody {
  return { error: { code, message, docs: `${ERROR_DOCS_BASE}#${code}`, request_id: requestId } }
}

export function errorStatus(code: ErrorCode): ErrorStatus {
  return ERROR_STATUS[code]
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_STATUS, value)
}
