import { findStructureProblem, stampEvent, validateBatch, validateEvent } from '@sightline/contracts'
import type { EventReader } from '../pipeline/surface.ts'

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * `{batch:[...], sent_at?, context?}`. The batch-level context is merged into every event
 * after per-event validation, so its limits are checked here first; otherwise a hostile
 * context would ride along on events that passed.
 */
export const readNativeBatch: EventReader = (body, info) => {
  if (isPlainObject(body) && body.context !== undefined) {
    const problem = findStructureProblem(body.context)
    if (problem) return { ok: false, code: 'invalid_request', message: `batch context: ${problem}` }
  }
  return validateBatch(body, info)
}

/** One event as the whole body; `type` defaults to track so the simplest call needs none. */
export const readSingleEvent: EventReader = (body, info) => {
  if (!isPlainObject(body))
    return { ok: false, code: 'invalid_request', message: 'expected one event as a JSON object' }
  // Spread defines own properties, so an own "__proto__" key stays visible to validation.
  const verdict = validateEvent({ type: 'track', ...body })
  if (!verdict.ok)
    return {
      ok: true,
      value: { accepted: [], rejected: [{ index: 0, code: verdict.code, message: verdict.message }] },
    }
  return { ok: true, value: { accepted: [stampEvent(verdict.value, info)], rejected: [] } }
}
