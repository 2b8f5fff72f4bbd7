import type { EnrichedEvent } from '@sightline/contracts'
import { looksLikeBot, parseDevice, truncateIp } from '@sightline/enrichment'

/**
 * The visitor's IP. `CF-Connecting-IP` is set by Cloudflare and cannot be forged there;
 * `X-Forwarded-For`/`X-Real-IP` can be sent by anyone, so they count only when the
 * operator says a trusted proxy in front of a self-hosted edge sets them.
 */
export function clientIp(headers: Headers, trustProxyHeaders: boolean): string | undefined {
  const candidates = [headers.get('cf-connecting-ip')]
  if (trustProxyHeaders) {
    // The left-most entry is the client as the first proxy saw it.
    candidates.push(headers.get('x-forwarded-for')?.split(',')[0] ?? null, headers.get('x-real-ip'))
  }
  for (const candidate of candidates) {
    const ip = candidate?.trim()
    if (ip && truncateIp(ip) !== undefined) return ip
  }
  return undefined
}

/** Server SDKs of our own and of the ecosystems whose APIs we speak. */
const SERVER_LIBRARIES =
  /^(@?sightline[/-]?(sdk-)?node|@segment\/analytics-node|analytics-(node|python|ruby|go|java|php|dotnet)|posthog-(node|python|ruby|go|java|php|dotnet|rs))/i

/**
 * Whether an event was relayed by a server on a visitor's behalf rather than sent by the
 * visitor's browser. Then the request's own UA, headers, IP and ASN describe the server
 * (a datacenter by design), so device, bot verdict and geo must come from the end-user
 * values the SDK put in `context` instead — or be left out.
 */
export function isRelayed(event: EnrichedEvent, requestUserAgent: string | undefined): boolean {
  const library = event.context.library?.name
  if (typeof library === 'string' && SERVER_LIBRARIES.test(library)) return true
  if (requestUserAgent && SERVER_LIBRARIES.test(requestUserAgent)) return true
  if (typeof event.context.userAgent !== 'string' || event.context.userAgent === '') return false
  // A browser (or a bot posing as one) speaks for itself; a bare HTTP client carrying an
  // end-user UA in context is a backend forwarding someone else's event.
  if (!requestUserAgent) return true
  return parseDevice(requestUserAgent).browser === undefined && !looksLikeBot(requestUserAgent)
}
