import type { Context, MiddlewareHandler } from 'hono'
import type { Guard } from './pipeline/surface.ts'
import { type AppEnv, fail } from './respond.ts'

/**
 * CORS in two halves, because a preflight carries no write key:
 *
 * 1. The preflight (OPTIONS) cannot know the site, so it answers the same for everyone:
 *    the methods and headers we accept, the caller's Origin reflected, and a long
 *    Access-Control-Max-Age so a browser asks once a day, not before every batch.
 * 2. The real request names its site, so the site's `allowed_origins` is enforced there
 *    (originGuard): an Origin the site does not list gets 403 `forbidden_origin` and its
 *    events are not ingested.
 *
 * The Origin is reflected (never `*`) with credentials allowed, because browser SDKs send
 * credentialed requests (sendBeacon always does, posthog-js uses withCredentials) and
 * `*` is invalid for those. That grants nothing: the edge sets no cookies and its answers
 * hold no user data. allowed_origins is a guard against other sites sending into yours
 * from visitors' browsers, not authentication — any non-browser client can forge Origin.
 * Beacon and pixel requests are "simple" requests and never preflighted.
 */

export const CORS_MAX_AGE_S = 86_400
const ALLOW_METHODS = 'GET, POST, OPTIONS'
/**
 * Ours, then what the compatible browser libraries send unmodified (docs/compat.md):
 * RudderStack's AnonymousId / SentAt / Rsa-* delivery headers (and Accept, which is only
 * "simple" for some values). posthog-js and Segment's analytics.js send Content-Type only.
 */
export const ALLOW_HEADERS = [
  'Authorization',
  'Content-Type',
  'Content-Encoding',
  'X-Write-Key',
  'Accept',
  'AnonymousId',
  'SentAt',
  'Rsa-Recovered',
  'Rsa-Retry-Attempt',
  'Rsa-Retry-Reason',
  'Rsa-Since-Last-Attempt',
  'Rsa-Since-First-Attempt',
].join(', ')
const EXPOSE_HEADERS = 'X-Request-Id, Retry-After'

export function cors(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header('origin')
    if (c.req.method === 'OPTIONS') {
      c.header('access-control-allow-methods', ALLOW_METHODS)
      c.header('access-control-allow-headers', ALLOW_HEADERS)
      c.header('access-control-max-age', String(CORS_MAX_AGE_S))
      if (origin) setOriginHeaders(c, origin)
      c.header('vary', 'Origin')
      return c.body(null, 204)
    }
    await next()
    if (!origin) return
    // Also on refusals, so a page's developer can read why (the error body) in devtools.
    setOriginHeaders(c, origin)
    c.header('access-control-expose-headers', EXPOSE_HEADERS)
    c.header('vary', 'Origin', { append: true })
  }
}

function setOriginHeaders(c: Context<AppEnv>, origin: string): void {
  c.header('access-control-allow-origin', origin)
  c.header('access-control-allow-credentials', 'true')
}

/**
 * `https://shop.example` matches itself; `https://*.shop.example` matches its subdomains
 * (not the apex); `*` matches anything, including the opaque origin `null`.
 */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  const normalized = origin.trim().toLowerCase().replace(/\/+$/, '')
  for (const entry of allowed) {
    const pattern = entry.trim().toLowerCase().replace(/\/+$/, '')
    if (pattern === '*' || pattern === normalized) return true
    const star = pattern.indexOf('://*.')
    if (star >= 0) {
      const scheme = pattern.slice(0, star + 3)
      const suffix = pattern.slice(star + 4) // ".shop.example"
      if (
        normalized.startsWith(scheme) &&
        normalized.endsWith(suffix) &&
        normalized.length > scheme.length + suffix.length
      ) {
        return true
      }
    }
  }
  return false
}

/** The per-site half: runs once the write key named the site, before the body is used. */
export const originGuard: Guard = async (c, site) => {
  const origin = c.req.header('origin')
  if (origin === undefined || originAllowed(origin, site.settings.allowed_origins)) return undefined
  return fail(c, 'forbidden_origin', `origin ${origin.slice(0, 200)} is not allowed to send to this site`)
}
