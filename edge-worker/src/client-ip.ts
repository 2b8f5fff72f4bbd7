import { cfGeoIsReal, truncateIp } from '@sightline/enrichment'
import type { ClientIpSettings } from './enrich/settings.ts'

/**
 * Where the visitor's IP comes from. It feeds geo, the per-IP rate limit and the cookieless
 * visitor id, so it must come from a header the client cannot choose:
 *
 * - `cloudflare`: `CF-Connecting-IP`. On Cloudflare the platform sets it and overwrites any
 *   value a client sent.
 * - `auto` (default): `CF-Connecting-IP`, but only on requests that carry a real
 *   `request.cf` (Cloudflare attaches one to every request; bare workerd attaches none and
 *   wrangler dev's offline placeholder is recognised) and only when `TRUST_CF_GEO` is not
 *   false. A local workerd passes on a client's own `CF-Connecting-IP`, so it must not be
 *   believed there.
 * - `proxy`: behind a reverse proxy you run (self-hosted). Only requests that carry the
 *   proxy's shared secret in `X-Sightline-Proxy-Secret` are believed, and then the client is
 *   `X-Real-IP`, else the right-most `X-Forwarded-For` entry (the one the proxy added; the
 *   left-most ones are whatever the client sent). The secret, not an address list, is what
 *   identifies the proxy: workerd does not tell a Worker the socket's peer address.
 * - `none`: no client IP (no per-IP limit, no IP geo, no cookieless id). The embedded edge.
 */
export type { ClientIpSource } from './enrich/settings.ts'

export const PROXY_SECRET_HEADER = 'x-sightline-proxy-secret'

export type { ClientIpSettings } from './enrich/settings.ts'

export type ClientIpOf = (request: Request) => string | undefined

/** One answer per request, shared by the rate limiter and the enricher. */
export function clientIpPolicy(settings: ClientIpSettings): ClientIpOf {
  const seen = new WeakMap<Request, string | null>()
  const read = (request: Request): string | undefined => {
    const headers = request.headers
    switch (settings.source) {
      case 'none':
        return undefined
      case 'cloudflare':
        return validIp(headers.get('cf-connecting-ip'))
      case 'auto': {
        const cf = (request as Request & { cf?: Record<string, unknown> }).cf
        return cfGeoIsReal(cf, settings.trustCfGeo) ? validIp(headers.get('cf-connecting-ip')) : undefined
      }
      case 'proxy': {
        const sent = headers.get(PROXY_SECRET_HEADER)
        if (!settings.proxySecret || sent === null || !sameSecret(sent, settings.proxySecret))
          return undefined
        const forwarded = headers.get('x-forwarded-for')?.split(',').at(-1)
        return validIp(headers.get('x-real-ip')) ?? validIp(forwarded)
      }
    }
  }
  return (request) => {
    let ip = seen.get(request)
    if (ip === undefined) {
      ip = read(request) ?? null
      seen.set(request, ip)
    }
    return ip ?? undefined
  }
}

function validIp(value: string | null | undefined): string | undefined {
  const ip = value?.trim()
  return ip && ip.length <= 45 && truncateIp(ip) !== undefined ? ip : undefined
}

/** Constant time in the secret's length, so timing does not reveal how much of it matched. */
function sameSecret(sent: string, secret: string): boolean {
  let diff = sent.length ^ secret.length
  for (let i = 0; i < secret.length; i++) diff |= (sent.charCodeAt(i) || 0) ^ secret.charCodeAt(i)
  return diff === 0
}
