import type { ErrorCode } from '@sightline/contracts'

export interface HttpErrorOptions {
  /** Seconds for Retry-After; only 429/503/504 send it (see retryAfterFor). */
  retryAfterS?: number
  /** Extra top-level body fields next to `error` (e.g. the edge's per-event `rejected`). */
  extra?: Record<string, unknown>
}

/**
 * The one exception type of every service's HTTP layer. Routes and middleware throw it when
 * a request cannot go on; the app's onError (install.ts) renders it. Core modules return
 * values instead (ADR 0008): exceptions stop at the HTTP edge.
 */
export class HttpError extends Error {
  readonly code: ErrorCode
  readonly retryAfterS: number | undefined
  readonly extra: Record<string, unknown> | undefined

  // Plain fields rather than parameter properties: Node's type stripping runs src/ directly
  // and does not support TypeScript-only syntax that emits code.
  constructor(code: ErrorCode, message: string, options: HttpErrorOptions = {}) {
    super(message)
    this.name = 'HttpError'
    this.code = code
    this.retryAfterS = options.retryAfterS
    this.extra = options.extra
  }
}
