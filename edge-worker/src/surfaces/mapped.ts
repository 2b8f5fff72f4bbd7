import {
  type BatchResult,
  checkEventCount,
  type EventContext,
  findStructureProblem,
  type Outcome,
  type Rejection,
  type StampInfo,
  stampEvent,
  validateEvent,
} from '@sightline/contracts'

/**
 * Helpers for surfaces that speak another ecosystem's dialect (Segment, PostHog, the pixel):
 * each maps a foreign event to a native one, and everything after that — limits, schema,
 * stamping — is the native path, so no dialect gets laxer validation than our own API.
 */

export type Json = Record<string, unknown>

export function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Ids arrive as numbers from some clients (Segment allows numeric userId): keep them as text. */
export function idOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return undefined
}

/**
 * Foreign clients send timestamps as ISO without an offset, or with more precision than
 * ours; a parseable one is normalised to UTC ISO. Anything else is passed on unchanged so
 * the schema rejects it with a clear message rather than being silently replaced.
 */
export function isoTime(value: unknown): unknown {
  if (typeof value !== 'string' && typeof value !== 'number') return value
  const ms = typeof value === 'number' ? value : Date.parse(value)
  if (!Number.isFinite(ms)) return value
  const date = new Date(ms)
  return Number.isFinite(date.getTime()) ? date.toISOString() : value
}

/** A copy without the given keys; spread keeps an own "__proto__" key inert and visible. */
export function without(source: Json, keys: readonly string[]): Json {
  const copy: Json = { ...source }
  for (const key of keys) delete copy[key]
  return copy
}

/** Drops undefined values so optional fields stay absent (the schema treats them alike). */
export function compact(source: Json): Json {
  return Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined))
}

export type EventMapper = (raw: Json, info: MapInfo) => Json

export interface MapInfo {
  receivedAt: string
  /** For events that come without an id: a fresh one (such events are not deduplicated). */
  newId: () => string
}

export interface MappedBatch {
  events: readonly unknown[]
  sentAt?: unknown
  context?: unknown
}

/**
 * Maps, validates and stamps each event on its own: a bad one is rejected (index + code)
 * and the rest are kept. Limits are checked on the raw event before mapping, so a hostile
 * shape never reaches the mapper.
 */
export function readMapped(
  batch: MappedBatch,
  map: EventMapper,
  info: Omit<StampInfo, 'batchSentAt' | 'batchContext'>,
): Outcome<BatchResult> {
  const count = checkEventCount(batch.events)
  if (!count.ok) return count
  let context: EventContext | undefined
  if (batch.context !== undefined) {
    const problem = isPlainObject(batch.context) ? findStructureProblem(batch.context) : 'must be an object'
    if (problem) return { ok: false, code: 'invalid_request', message: `batch context: ${problem}` }
    context = batch.context as EventContext
  }
  const sent = isoTime(batch.sentAt)
  const batchSentAt = typeof sent === 'string' && Number.isFinite(Date.parse(sent)) ? sent : undefined
  if (batch.sentAt !== undefined && batch.sentAt !== null && batchSentAt === undefined) {
    return { ok: false, code: 'invalid_request', message: 'the batch send time is not a valid timestamp' }
  }
  const mapInfo: MapInfo = { receivedAt: info.receivedAt, newId: () => crypto.randomUUID() }
  const accepted: BatchResult['accepted'] = []
  const rejected: Rejection[] = []
  batch.events.forEach((raw, index) => {
    if (!isPlainObject(raw)) {
      rejected.push({ index, code: 'invalid_event', message: 'an event must be a JSON object' })
      return
    }
    const problem = findStructureProblem(raw)
    if (problem) {
      rejected.push({ index, code: 'invalid_event', message: problem })
      return
    }
    const verdict = validateEvent(map(raw, mapInfo))
    if (!verdict.ok) {
      rejected.push({ index, code: verdict.code, message: verdict.message })
      return
    }
    accepted.push(stampEvent(verdict.value, { ...info, batchSentAt, batchContext: context }))
  })
  return { ok: true, value: { accepted, rejected } }
}
