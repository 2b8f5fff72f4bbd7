import { stampEvent, validateBatch, validateEvent } from '@sightline/contracts'
import type { EventReader } from '../pipeline/surface.ts'
import { isPlainObject } from './mapped.ts'

/** `{batch:[...], sent_at?, context?}`; the envelope checks (batch context limits included) are the contract's. */
export const readNativeBatch: EventReader = (body, info) => validateBatch(body, info)

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
