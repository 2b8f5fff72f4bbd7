import type { EdgeBatch } from '@sightline/contracts'
import type { EventStream } from '@sightline/stream'
import { splitByPerson } from './per-person.ts'

export interface AppendTarget {
  stream: EventStream
  topic: string
  /** Key records by site + person (one append per person) instead of by site (Kafka). */
  keyPerPerson?: boolean
}

const encoder = new TextEncoder()

/**
 * The receiver's one way into the stream: an edge batch's record value, keyed by site (the
 * segment log's one partition) or split per person (Kafka, so a person's events stay in
 * order). POST /v1/ingest and the bridge's canary both append through it, so the canary
 * travels exactly the path real batches do (the spool included).
 */
export async function appendEdgeBatch(
  target: AppendTarget,
  siteId: string,
  value: Uint8Array,
): Promise<{ partition: number; baseOffset: number }> {
  if (!target.keyPerPerson) return target.stream.append(target.topic, [{ key: siteId, value }])
  return appendPerPerson(target, value)
}

/**
 * One append per person. The parts are appended together; the batch is durable when all are
 * (a part that failed makes the edge retry the whole batch, and dedup drops what landed).
 */
async function appendPerPerson(target: AppendTarget, value: Uint8Array) {
  const batch = JSON.parse(new TextDecoder().decode(value)) as EdgeBatch
  const parts = splitByPerson(batch)
  if (parts.length === 1) return target.stream.append(target.topic, [{ key: parts[0]!.key, value }])
  const results = await Promise.all(
    parts.map((p) =>
      target.stream.append(target.topic, [{ key: p.key, value: encoder.encode(JSON.stringify(p.batch)) }]),
    ),
  )
  return results[0]!
}
