import { correctTimestamp } from './clock.ts'
import type { ErrorCode } from './errors.ts'
import {
  type EnrichedEvent,
  type EventContext,
  IMPLICIT_EVENT_NAMES,
  InboundBatchSchema,
  type InboundEvent,
  InboundEventSchema,
  type IngestPath,
  storedEventName,
} from './event.ts'
import { LIMITS } from './limits.ts'
import { findStructureProblem } from './structure.ts'

export interface Rejection {
  index: number
  code: ErrorCode
  message: string
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string }

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })
const encoder = new TextEncoder()

/** Bytes → JSON value, with the body-level limits. Never throws. */
export function parseJsonBody(bytes: Uint8Array, maxBytes: number = LIMITS.maxBodyBytes): Outcome<unknown> {
  if (bytes.byteLength > maxBytes) {
    return { ok: false, code: 'payload_too_large', message: `body is larger than ${maxBytes} bytes` }
  }
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return { ok: false, code: 'invalid_json', message: 'body is not valid UTF-8' }
  }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (err) {
    // RangeError here means nesting deep enough to exhaust the parser's stack.
    const why = err instanceof RangeError ? 'nesting is too deep' : (err as Error).message
    return { ok: false, code: 'invalid_json', message: `body is not valid JSON: ${why}` }
  }
}

export interface BatchEnvelope {
  events: unknown[]
  sentAt?: string
  context?: EventContext
}

/** Batch-level checks every dialect shares: non-empty, within the event count limit. */
export function checkEventCount(events: readonly unknown[]): Outcome<true> {
  if (events.length === 0) return { ok: false, code: 'empty_batch', message: 'batch has no events' }
  if (events.length > LIMITS.maxEventsPerBatch) {
    return {
      ok: false,
      code: 'too_many_events',
      message: `batch has ${events.length} events; the limit is ${LIMITS.maxEventsPerBatch}`,
    }
  }
  return { ok: true, value: true }
}

/** The outer shape of a native batch: `{batch:[...], sent_at?, context?}`. */
export function readBatchEnvelope(body: unknown): Outcome<BatchEnvelope> {
  // Batch context is merged into every event, so it must meet the same limits first. It is
  // checked as sent, before zod copies it (a copy would turn an own "__proto__" key into a
  // prototype and hide it).
  const rawContext = (body as { context?: unknown } | null)?.context
  const contextProblem =
    typeof body === 'object' && rawContext !== undefined ? findStructureProblem(rawContext) : undefined
  if (contextProblem)
    return { ok: false, code: 'invalid_request', message: `batch context: ${contextProblem}` }
  const parsed = InboundBatchSchema.safeParse(body)
  if (!parsed.success) {
    return {
      ok: false,
      code: 'invalid_request',
      message: `expected {"batch":[...]}: ${parsed.error.issues[0]?.message}`,
    }
  }
  const { batch, sent_at, context } = parsed.data
  const count = checkEventCount(batch)
  if (!count.ok) return count
  return { ok: true, value: { events: batch, sentAt: sent_at, context } }
}

/** One event: limits first (cheap, and protects zod from hostile shapes), then schema. */
export function validateEvent(raw: unknown): Outcome<InboundEvent> {
  const problem = findStructureProblem(raw)
  if (problem) return { ok: false, code: 'invalid_event', message: problem }
  const size = encoder.encode(JSON.stringify(raw)).byteLength
  if (size > LIMITS.maxEventBytes) {
    return {
      ok: false,
      code: 'invalid_event',
      message: `event is ${size} bytes; the limit is ${LIMITS.maxEventBytes}`,
    }
  }
  const parsed = InboundEventSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : ''
    return { ok: false, code: 'invalid_event', message: `${where}${issue?.message ?? 'invalid event'}` }
  }
  return { ok: true, value: parsed.data }
}

export interface StampInfo {
  siteId: string
  receivedAt: string
  ingestPath: IngestPath
  batchSentAt?: string
  batchContext?: EventContext
}

/** A validated event → the normalised, stamped event the pipeline carries. */
export function stampEvent(e: InboundEvent, info: StampInfo): EnrichedEvent {
  const sentAt = e.sent_at ?? info.batchSentAt
  const { ts, skewed } = correctTimestamp(e.timestamp, sentAt, info.receivedAt)
  // Non-track types get fixed names so queries can rely on them ($pageview, $identify, …);
  // a page's own name travels in properties.name, as in Segment.
  // A track named like page views (`pageview`, `$pageview`) is one: stored as a page, so no
  // query has to know which surface sent it.
  const type = e.type === 'track' && storedEventName(e.event!) === IMPLICIT_EVENT_NAMES.page ? 'page' : e.type
  const name = type === 'track' ? e.event! : IMPLICIT_EVENT_NAMES[type]
  const context = info.batchContext ? { ...info.batchContext, ...e.context } : (e.context ?? {})
  const stamped: EnrichedEvent = {
    type,
    event: name,
    message_id: e.message_id,
    anonymous_id: e.anonymous_id ?? '',
    user_id: e.user_id ?? '',
    timestamp: e.timestamp ?? info.receivedAt,
    received_at: info.receivedAt,
    ts,
    clock_skewed: skewed,
    site_id: info.siteId,
    properties: e.properties ?? {},
    traits: e.traits ?? {},
    context,
    ingest_path: info.ingestPath,
  }
  if (sentAt !== undefined) stamped.sent_at = sentAt
  if (e.group_id !== undefined) stamped.group_id = e.group_id
  if (e.previous_id !== undefined) stamped.previous_id = e.previous_id
  const pageName = e.name ?? (e.type === 'track' ? undefined : e.event)
  if (pageName && stamped.properties.name === undefined)
    stamped.properties = { ...stamped.properties, name: pageName }
  return stamped
}

export interface BatchResult {
  accepted: EnrichedEvent[]
  rejected: Rejection[]
}

/** A whole native batch: one bad event is rejected alone, the rest are kept. */
export function validateBatch(
  body: unknown,
  info: Omit<StampInfo, 'batchSentAt' | 'batchContext'>,
): Outcome<BatchResult> {
  const envelope = readBatchEnvelope(body)
  if (!envelope.ok) return envelope
  const accepted: EnrichedEvent[] = []
  const rejected: Rejection[] = []
  const { events, sentAt, context } = envelope.value
  for (let index = 0; index < events.length; index++) {
    const verdict = validateEvent(events[index])
    if (!verdict.ok) {
      rejected.push({ index, code: verdict.code, message: verdict.message })
      continue
    }
    accepted.push(stampEvent(verdict.value, { ...info, batchSentAt: sentAt, batchContext: context }))
  }
  return { ok: true, value: { accepted, rejected } }
}
