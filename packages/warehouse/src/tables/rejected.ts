import { type IngestPath, LIMITS } from '@sightline/contracts'
import { toClickHouseTime } from '../event-row.ts'
import type { Warehouse } from '../port.ts'

/** The `rejected` table (dead letters with their reason): its row mapping and inserts. */

export type RejectStage = 'edge' | 'bridge' | 'writer'

export interface Rejection {
  site_id: string
  received_at: string | number | Date
  stage: RejectStage
  code: string
  message: string
  message_id?: string
  ingest_path?: IngestPath | ''
  /** The refused input; objects are stored as JSON. */
  payload: unknown
}

export interface RejectedRow {
  site_id: string
  received_at: string
  stage: RejectStage
  code: string
  message: string
  message_id: string
  ingest_path: string
  payload: string
}

/** Payloads are capped at the body limit: anything larger was refused before it was read. */
export function toRejectedRow(r: Rejection): RejectedRow {
  const payload = typeof r.payload === 'string' ? r.payload : (JSON.stringify(r.payload) ?? '')
  return {
    site_id: r.site_id,
    received_at: toClickHouseTime(r.received_at),
    stage: r.stage,
    code: r.code,
    message: r.message,
    message_id: r.message_id ?? '',
    ingest_path: r.ingest_path ?? '',
    payload: payload.length > LIMITS.maxBodyBytes ? payload.slice(0, LIMITS.maxBodyBytes) : payload,
  }
}

export async function insertRejected(
  warehouse: Warehouse,
  rejections: readonly Rejection[],
  dedupToken?: string,
): Promise<void> {
  await warehouse.insert(
    'rejected',
    rejections.map(toRejectedRow),
    dedupToken === undefined ? {} : { dedupToken },
  )
}
