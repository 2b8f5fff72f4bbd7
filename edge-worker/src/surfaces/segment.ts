import type { EventType } from '@sightline/contracts'
import type { Context } from 'hono'
import type { DecodedRequest, EventReader, IngestOutcome, Surface } from '../pipeline/surface.ts'
import type { AppEnv } from '../respond.ts'
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

/** A present id keeps its value even when malformed, so the schema rejects it by name. */
function idField(value: unknown): unknown {
  if (value === undefined || value === null) return undefined
  return idOf(value) ?? value
}

function mapSegmentEvent(forcedType?: EventType): EventMapper {
  return (raw, info) => {
    const type = forcedType ?? raw.type
    let properties = raw.properties
    // page()/screen() carry a category beside the name; Segment's warehouses keep it in properties.
    if (
      (type === 'page' || type === 'screen') &&
      typeof raw.category === 'string' &&
      isPlainObject(properties) &&
      properties.category === undefined
    ) {
      properties = { ...properties, category: raw.category }
    } else if (
      properties === undefined &&
      (type === 'page' || type === 'screen') &&
      typeof raw.category === 'string'
    ) {
      properties = { category: raw.category }
    }
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
      properties,
      traits: raw.traits,
      context: raw.context,
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
  const writeKey = writeKeyIn(decoded.value.body)
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

/** A native surface that hands Segment-dialect bodies to `segment` (see looksLikeSegment). */
function sharedWithSegment(native: Surface, segment: Surface): Surface {
  return {
    ...native,
    async decode(request) {
      const decoded = await native.decode(request)
      if (!decoded.ok || !looksLikeSegment(decoded.value.body)) return decoded
      const writeKey = writeKeyIn(decoded.value.body)
      return { ok: true, value: { body: decoded.value.body, as: segment, ...(writeKey ? { writeKey } : {}) } }
    },
  }
}

/** POST /v1/batch: native `{batch, sent_at}` or Segment `{batch, sentAt, writeKey}`. */
export const batchEither = sharedWithSegment(nativeBatch, segmentBatch)

/** POST /v1/track: one native or Segment event. */
export const trackEither = sharedWithSegment(nativeTrack, segmentSingle('track'))
