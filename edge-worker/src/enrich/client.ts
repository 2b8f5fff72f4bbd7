import type { EnrichedEvent } from '@sightline/contracts'
import { looksLikeBot, parseDevice } from '@sightline/enrichment'

/** Server SDKs of our own and of the ecosystems whose APIs we speak. */
const SERVER_LIBRARIES =
  /^(@?sightline[/-]?(sdk-)?node|@segment\/analytics-node|analytics-(node|python|ruby|go|java|php|dotnet)|posthog-(node|python|ruby|go|java|php|dotnet|rs))/i

/** What the enricher knows about the request itself, worked out once per request. */
export interface RelayingRequest {
  userAgent: string | undefined
  /** The request UA parses as a browser (a browser, or something posing as one). */
  isBrowser: boolean
  /** The request's own verdict on the signals no server can explain away (relayVerdict). */
  isBot: boolean
}

/**
 * Whether an event was relayed by a server on a visitor's behalf rather than sent by the
 * visitor's browser. Then the request's own headers, IP and ASN describe the server (a
 * datacenter by design), so device, geo and the end user's part of the verdict come from
 * the values the SDK put in `context` instead — or are left out.
 *
 * A relay is only believed from a requester that could be one: it names itself (every
 * server SDK sends its own User-Agent), does not look like a browser (a browser speaks for
 * itself, whatever `context.library` claims) and is not itself judged a bot (a UA such as
 * `posthog-node/4.0 python-requests HeadlessChrome` claims an SDK and gives itself away).
 * Everything else is a direct request, judged and located as such.
 */
export function isRelayed(event: EnrichedEvent, request: RelayingRequest): boolean {
  if (!request.userAgent || request.isBrowser || request.isBot) return false
  const library = event.context.library?.name
  if (typeof library === 'string' && SERVER_LIBRARIES.test(library)) return true
  if (SERVER_LIBRARIES.test(request.userAgent)) return true
  // A bare HTTP client carrying an end-user UA in context is a backend forwarding someone's event.
  return typeof event.context.userAgent === 'string' && event.context.userAgent !== ''
}

/** Whether a UA string parses as a browser (device parsing is cached, so this is cheap). */
export function looksLikeBrowser(userAgent: string | undefined): boolean {
  return userAgent !== undefined && parseDevice(userAgent).browser !== undefined && !looksLikeBot(userAgent)
}
