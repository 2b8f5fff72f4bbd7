import type { EventType } from '@sightline/contracts'
import type { Context } from 'hono'
import type { DecodedRequest, EventReader, IngestOutcome, Surface } from '../pipeline/surface.ts'
import type { AppEnv } from '../respond.ts'
import { beacon } from './beacon.ts'
import { compact, type EventMapper, idOf, isoTime, isPlainObject, type Json, readMapped } from './mapped.ts'
import { decodeJsonBody, nativeBatch, nativeTrack } from './native.ts'

/**
 * Segment's HTTP Tracking API (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/):
 * camelCase fields, `writeKey` in the body as a fallback to Basic auth, batch-level
 * `context` and `sentAt`. `integrations` and `_metadata` steer Segment's own destinations
 * and are dropped.
 */

/** Keys only Segment's dialect uses; our native API spells ids in snake_case. */
const SEGMENT_KEYS = [
  'messageId',
  'anonymousId',
  'userId',
  'previousId',
  'groupId',
  'originalTimestamp',
  'sentAt',
  'writeKey',
  'integrations',
  '_metadata',
] as const

function hasSegmentKey(value: unknown): boolean {
  return isPlainObject(value) && SEGMENT_KEYS.some((key) => Object.hasOwn(value, key))
}

/**
 * The dialect rule for the paths both APIs share (/v1/batch, /v1/track): the body is
 * Segment's when it, or any event in its `batch`, has a key from SEGMENT_KEYS. Native
 * bodies never do, so the rule cannot misfile them; the Segment reader also falls back to
 * snake_case per field, so a mixed batch loses nothing either way.
 */
export function looksLikeSegment(body: unknown): boolean {
  if (!isPlainObject(body)) return false
  if (hasSegmentKey(body)) return true
  return Array.isArray(body.batch) && body.batch.some(hasSegmentKey)
}

/**
 * A present id keeps its value even when malformed, so the schema rejects it by name. An
 * empty string is absent: RudderStack's analytics.js sends `userId: ""` for anonymous visitors.
 */
function idField(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined
  return idOf(value) ?? value
}

/** Segment's reserved page properties (its spec), which mirror `context.page`. */
const PAGE_PROPERTIES = ['path', 'url', 'referrer', 'title', 'search'] as const

/**
 * page()/screen() as the Segment spec defines them: `name` and `category` beside the
 * properties (kept in properties, as Segment's warehouses do), and the reserved page
 * properties filling `context.page`. Server libraries (@segment/analytics-node) send the page
 * only as properties; analytics.js sends both, and a property the caller set wins, as in
 * Segment's own pipeline.
 */
function pageFields(raw: Json): { properties: unknown; context: unknown } {
  let properties = raw.properties
  let context = raw.context
  if (typeof raw.category === 'string' && (properties === undefined || isPlainObject(properties))) {
    const props = (properties ?? {}) as Json
    if (props.category === undefined) properties = { ...props, category: raw.category }
  }
  if (isPlainObject(properties) && (context === undefined || isPlainObject(context))) {
    const fromProps = compact(
      Object.fromEntries(PAGE_PROPERTIES.map((k) => [k, str(properties[k] as unknown)])),
    )
    if (Object.keys(fromProps).length > 0) {
      const ctx = (context ?? {}) as Json
      const page = isPlainObject(ctx.page) ? ctx.page : {}
      context = { ...ctx, page: { ...page, ...fromProps } }
    }
  }
  return { properties, context }
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined

/** identify() traits, from `traits` or (RudderStack) `context.traits`; the event's own win. */
function traitsOf(raw: Json): unknown {
  const fromContext = isPlainObject(raw.context) ? raw.context.traits : undefined
  if (!isPlainObject(fromContext)) return raw.traits
  if (raw.traits === undefined) return fromContext
  return isPlainObject(raw.traits) ? { ...fromContext, ...raw.traits } : raw.traits
}

function mapSegmentEvent(forcedType?: EventType): EventMapper {
  return (raw, info) => {
    const type = forcedType ?? raw.type
    const page =
      type === 'page' || type === 'screen'
        ? pageFields(raw)
        : { properties: raw.properties, context: raw.context }
    return compact({
      type,
      event: raw.event,
      name: raw.name,
      // Segment's own API generates an id when none is sent; so do we (no dedup for those).
      message_id: idField(raw.messageId ?? raw.message_id) ?? info.newId(),
      anonymous_id: idField(raw.anonymousId ?? raw.anonymous_id),
      user_id: idField(raw.userId ?? raw.user_id),
      group_id: idField(raw.groupId ?? raw.group_id),
      previous_id: idField(raw.previousId ?? raw.previous_id),
      timestamp: isoTime(raw.timestamp ?? raw.originalTimestamp),
      sent_at: isoTime(raw.sentAt ?? raw.sent_at),
      properties: page.properties,
      traits: type === 'identify' ? traitsOf(raw) : raw.traits,
      context: page.context,
    })
  }
}

function writeKeyIn(body: unknown): string | undefined {
  if (!isPlainObject(body)) return undefined
  const key = body.writeKey ?? body.write_key
  return typeof key === 'string' && key !== '' ? key : undefined
}

/** Segment answers `{"success": true}`; its libraries only look at the status code. */
function respondSegment(c: Context<AppEnv>, outcome: IngestOutcome): Response {
  return c.json({
    success: true,
    accepted: outcome.accepted,
    rejected: outcome.rejected,
    request_id: outcome.requestId,
  })
}

const readSegmentBatch: EventReader = (body, info) => {
  if (!isPlainObject(body) || !Array.isArray(body.batch)) {
    return { ok: false, code: 'invalid_request', message: 'expected {"batch":[...]}' }
  }
  return readMapped(
    { events: body.batch, sentAt: body.sentAt, context: body.context },
    mapSegmentEvent(),
    info,
  )
}

function readSegmentSingle(type?: EventType): EventReader {
  return (body, info) => {
    if (!isPlainObject(body)) {
      return { ok: false, code: 'invalid_request', message: 'expected one event as a JSON object' }
    }
    // The body's own writeKey is not an event field; without it the raw event stays clean.
    const { writeKey: _key, ...event } = body as Json
    return readMapped({ events: [event] }, mapSegmentEvent(type), info)
  }
}

async function decodeSegment(request: Request) {
  const decoded = await decodeJsonBody(request)
  if (!decoded.ok) return decoded
  // RudderStack's beacon transport cannot set headers: `/beacon/v1/batch?writeKey=…`.
  const writeKey =
    writeKeyIn(decoded.value.body) ?? (new URL(request.url).searchParams.get('writeKey') || undefined)
  const value: DecodedRequest = writeKey ? { ...decoded.value, writeKey } : decoded.value
  return { ok: true as const, value }
}

export const segmentBatch: Surface = {
  ingestPath: 'segment',
  decode: decodeSegment,
  read: readSegmentBatch,
  respond: respondSegment,
}

/** POST /v1/{track,page,identify,alias,group,screen}: one event; the path sets its type. */
export function segmentSingle(type: EventType): Surface {
  return {
    ingestPath: 'segment',
    decode: decodeSegment,
    read: readSegmentSingle(type),
    respond: respondSegment,
  }
}

/** Any Segment event on a path that does not name its type (the body's `type` does). */
const segmentAny: Surface = { ...segmentSingle('track'), read: readSegmentSingle() }

/** A native surface that hands Segment-dialect bodies to `segment` (see looksLikeSegment). */
function sharedWithSegment(native: Surface, segment: (body: Json) => Surface): Surface {
  return {
    ...native,
    async decode(request) {
      const decoded = await native.decode(request)
      if (!decoded.ok || !looksLikeSegment(decoded.value.body)) return decoded
      const body = decoded.value.body as Json
      const writeKey = writeKeyIn(body) ?? decoded.value.writeKey
      return { ok: true, value: { body, as: segment(body), ...(writeKey ? { writeKey } : {}) } }
    },
  }
}

/** POST /v1/batch: native `{batch, sent_at}` or Segment `{batch, sentAt, writeKey}`. */
export const batchEither = sharedWithSegment(nativeBatch, () => segmentBatch)

/** POST /v1/track: one native or Segment event. */
export const trackEither = sharedWithSegment(nativeTrack, () => segmentSingle('track'))

/**
 * POST /v1/b: the native beacon, and Segment batches — analytics.js in batching mode posts
 * `{batch, sentAt, writeKey}` to `<apiHost>/b`, and its apiHost is the edge's `/v1`. The
 * dialect rule tells them apart (a native beacon never uses Segment's field names), so old
 * beacon clients keep working on the same path.
 */
export const beaconEither = sharedWithSegment(beacon, (body) =>
  Array.isArray(body.batch) ? segmentBatch : segmentAny,
)

/** Segment's analytics.js posts single events to `<apiHost>/<first letter of the type>`. */
export const SEGMENT_SHORT_PATHS: ReadonlyArray<readonly [string, EventType]> = [
  ['t', 'track'],
  ['p', 'page'],
  ['i', 'identify'],
  ['g', 'group'],
  ['a', 'alias'],
  ['s', 'screen'],
]
