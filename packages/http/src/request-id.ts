import type { MiddlewareHandler } from 'hono'

export const REQUEST_ID_HEADER = 'x-request-id'

export type RequestIdEnv = { Variables: { requestId: string } }

/**
 * What we accept from a caller as its request id: short, printable, no markup. Anything
 * else (a `<script>` in cf-ray, a 10 KB header) is ignored and a fresh id minted, because
 * the id is echoed in headers, bodies and logs.
 */
const WELL_FORMED = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/

export function acceptableRequestId(value: string | undefined): value is string {
  return value !== undefined && WELL_FORMED.test(value)
}

export interface RequestIdOptions {
  /**
   * Incoming headers whose well-formed value is reused, first match wins (the edge names
   * `cf-ray`, which ties our logs to Cloudflare's; behind the edge, `x-request-id`).
   */
  trust?: readonly string[]
  mint?: () => string
}

/** Sets `c.var.requestId` for the handlers and always answers with `X-Request-Id`. */
export function requestId(options: RequestIdOptions = {}): MiddlewareHandler<RequestIdEnv> {
  const trust = options.trust ?? [REQUEST_ID_HEADER]
  const mint = options.mint ?? (() => crypto.randomUUID())
  return async (c, next) => {
    let id: string | undefined
    for (const name of trust) {
      const value = c.req.header(name)
      if (acceptableRequestId(value)) {
        id = value
        break
      }
    }
    const chosen = id ?? mint()
    c.set('requestId', chosen)
    await next()
    c.header(REQUEST_ID_HEADER, chosen)
  }
}
