import type { EnrichedEvent } from './event.ts'
import { LIMITS } from './limits.ts'
import type { EdgeBatch } from './wire.ts'

/**
 * The synthetic canary each bridge appends once a minute (docs/adr/0028-ingest-stats-and-canaries.md):
 * an edge batch of one event with ingest path `canary`, carrying the bridge's id and the
 * instant it was made, so the writer can measure the lag of the real path (stream, spool,
 * writer batching, insert) without a clock of its own in the bridge. The writer never loads
 * it into `events`; it records the lag in `ingest_stats`.
 */

/** A site no real site can be: site ids are `[a-z0-9_-]`, so a `$` can never collide. */
export const CANARY_SITE = '$canary'
export const CANARY_EVENT = '$canary'

export interface Canary {
  bridgeId: string
  /** When the bridge made it (its clock, ms since the epoch). */
  createdAtMs: number
}

/** The canary's batch; `id` (unique per canary) names the batch and the event. */
export function canaryBatch(canary: Canary, id: string): EdgeBatch {
  const at = new Date(canary.createdAtMs).toISOString()
  const event: EnrichedEvent = {
    type: 'track',
    event: CANARY_EVENT,
    message_id: `canary-${id}`,
    // Its own key per canary: on Kafka the canaries of one bridge sample every partition over time.
    anonymous_id: `canary-${id}`,
    user_id: '',
    timestamp: at,
    received_at: at,
    ts: at,
    clock_skewed: false,
    site_id: CANARY_SITE,
    properties: { bridge_id: canary.bridgeId, created_at: at },
    traits: {},
    context: {},
    ingest_path: 'canary',
  }
  return {
    v: 1,
    batch_id: `canary-${id}`,
    site_id: CANARY_SITE,
    received_at: at,
    ingest_path: 'canary',
    events: [event],
  }
}

/** Whether an event (or anything claiming to be one) is a canary: by its ingest path alone. */
export function isCanary(event: unknown): boolean {
  return (event as { ingest_path?: unknown } | null)?.ingest_path === 'canary'
}

/** The bridge and creation instant of a canary event; undefined when they cannot be read. */
export function readCanary(event: EnrichedEvent): Canary | undefined {
  const { bridge_id: bridgeId, created_at: createdAt } = event.properties ?? {}
  if (typeof bridgeId !== 'string' || bridgeId.length === 0 || bridgeId.length > LIMITS.maxIdLength)
    return undefined
  const createdAtMs = typeof createdAt === 'string' ? Date.parse(createdAt) : Number.NaN
  if (!Number.isFinite(createdAtMs)) return undefined
  return { bridgeId, createdAtMs }
}
