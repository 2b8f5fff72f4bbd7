import { type EdgeBatch, LIMITS, type Outcome } from '@sightline/contracts'

/**
 * The bridge re-checks the envelope even though the edge signed it: a bug or a
 * compromised key at the edge must not put garbage into the stream. Event contents were
 * validated at the edge; the writer treats anything it cannot load as poison (DLQ).
 */
export function readEdgeBatch(value: unknown): Outcome<EdgeBatch> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'invalid_request', message: 'edge batch must be an object' }
  }
  const b = value as Partial<EdgeBatch>
  if (b.v !== 1) return { ok: false, code: 'invalid_request', message: 'unsupported edge batch version' }
  if (typeof b.batch_id !== 'string' || b.batch_id.length === 0 || b.batch_id.length > LIMITS.maxIdLength) {
    return { ok: false, code: 'invalid_request', message: 'edge batch needs a batch_id' }
  }
  if (typeof b.site_id !== 'string' || b.site_id.length === 0) {
    return { ok: false, code: 'invalid_request', message: 'edge batch needs a site_id' }
  }
  if (!Array.isArray(b.events) || b.events.length > LIMITS.maxEventsPerBatch) {
    return {
      ok: false,
      code: 'too_many_events',
      message: `edge batch needs 0..${LIMITS.maxEventsPerBatch} events`,
    }
  }
  return { ok: true, value: b as EdgeBatch }
}

/**
 * An edge batch carries at most 500 events of at most 32 KB each, plus enrichment; the
 * raw client body limit does not apply here, but an upper bound still does.
 */
export const MAX_EDGE_BATCH_BYTES = LIMITS.maxEventsPerBatch * LIMITS.maxEventBytes + 1024 * 1024
