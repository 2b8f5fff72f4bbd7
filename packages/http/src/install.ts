import type { ErrorCode } from '@sightline/contracts'
import type { Context, Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { HttpError } from './http-error.ts'
import { renderError } from './render.ts'
import type { RequestIdEnv } from './request-id.ts'

export interface ErrorHandlingOptions {
  /** Receives our own bugs (anything but an HttpError); the caller gets a bare 500. */
  onBug: (err: unknown, requestId: string) => void
}

/** Hono's own exceptions (body limits, malformed requests) mapped onto contract codes. */
const HONO_STATUS_CODES: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'unknown_read_key',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
}

/**
 * Installs the one onError and notFound of a service. Every error path of every app ends in
 * renderError, so the contract (body, status, Retry-After, X-Request-Id) holds everywhere.
 */
export function installErrorHandling<E extends RequestIdEnv>(
  app: Hono<E>,
  options: ErrorHandlingOptions,
): void {
  app.onError((err, c) => {
    if (err instanceof HttpError) return renderError(c, err.code, err.message, err)
    if (err instanceof HTTPException) {
      const code = HONO_STATUS_CODES[err.status]
      if (code !== undefined) return renderError(c, code, err.message || code)
    }
    options.onBug(err, (c as unknown as Context<RequestIdEnv>).get('requestId') ?? 'unknown')
    return renderError(c, 'internal', 'Internal error; the request id identifies it in our logs.')
  })
  app.notFound((c) => renderError(c, 'not_found', `No route for ${c.req.method} ${c.req.path}.`))
}
