import type {
  BatchResult,
  EnrichedEvent,
  IngestPath,
  Outcome,
  Rejection,
  StampInfo,
} from '@sightline/contracts'
import type { Context } from 'hono'
import type { EnrichResult } from '../enrich/refusals.ts'
import type { AppEnv } from '../respond.ts'
import type { Site } from '../sites.ts'

/** A request body after the surface's own decoding (gzip, base64, form fields, query string…). */
export interface DecodedRequest {
  body: unknown
  /** For APIs that carry the key in the payload (PostHog's api_key, a pixel's query string). */
  writeKey?: string
  /**
   * The dialect decoding recognised, when one path serves several (native and Segment
   * share /v1/batch): its read, respond and ingest path are used instead of the route's.
   */
  as?: Surface
}

export type EventReader = (
  body: unknown,
  info: Omit<StampInfo, 'batchSentAt' | 'batchContext'>,
) => Outcome<BatchResult>

export interface IngestOutcome {
  accepted: number
  rejected: Rejection[]
  requestId: string
}

/**
 * One way in: native JSON, the browser beacon, the pixel, Segment's or PostHog's API.
 * Everything after decoding and reading (auth, limits, enrichment, forwarding, the
 * delivery contract) is shared, so every surface behaves the same where it matters.
 */
export interface Surface {
  ingestPath: IngestPath
  decode(request: Request): Promise<Outcome<DecodedRequest>>
  read: EventReader
  /**
   * When every event is refused, answer with `respond` (2xx) instead of 400: for payloads a
   * client must not retry although nothing is stored (PostHog session recordings).
   */
  refusalsAreSuccess?: boolean
  /** The success answer in the surface's dialect; JSON `{ok, accepted, rejected}` by default. */
  respond?(c: Context<AppEnv>, outcome: IngestOutcome): Response
}

/** Per request facts the enrichment step may use. */
export interface EnrichContext {
  request: Request
  site: Site
  now: number
}

/**
 * Geo, device, bot verdict, privacy: pure steps over the stamped events. May refuse
 * events (a site blocking bots); refusals are reported like validation rejections.
 */
export type Enricher = (
  events: EnrichedEvent[],
  ctx: EnrichContext,
) => EnrichedEvent[] | EnrichResult | Promise<EnrichedEvent[] | EnrichResult>

/**
 * Runs once the site is known (origin check, rate limits) and, when the key came in a
 * header, before the body is read: a Response refuses the request, undefined lets it through.
 */
export type Guard = (c: Context<AppEnv>, site: Site, writeKey: string) => Promise<Response | undefined>

/**
 * Runs before the body is read when the request carries no key in a header (PostHog's
 * api_key, the beacon's write_key): what can be checked without knowing the site.
 */
export type PreAuthGuard = (c: Context<AppEnv>) => Promise<Response | undefined>
