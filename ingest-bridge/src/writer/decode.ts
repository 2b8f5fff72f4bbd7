import {
  type Canary,
  type EdgeBatch,
  type EnrichedEvent,
  isCanary,
  readCanary,
  sha256Hex,
} from '@sightline/contracts'
import { dedupKey } from '@sightline/state'
import type { StoredRecord } from '@sightline/stream'
import { readEdgeBatch } from '../receiver/edge-batch.ts'

export interface Poison {
  offset: number
  partition: number
  reason: string
  raw: string
}

/** An event the edge refused, carried in the batch so it lands in the rejected table. */
export interface EdgeRefusal {
  /** batch_id + index name the refusal, so a replayed batch does not insert it twice. */
  id: string
  siteId: string
  receivedAt: string
  ingestPath: string
  code: string
  message: string
  messageId: string
  raw: string
}

export interface DecodedBatch {
  events: EnrichedEvent[]
  refusals: EdgeRefusal[]
  keys: string[]
  /** Offset of the stream record carrying each key (the dedup claim names it). */
  offsets: number[]
  poison: Poison[]
  /** Same message_id twice inside this stream batch (e.g. a client retry racing itself), by site. */
  duplicatesInBatch: Map<string, number>
  /** The bridges' canaries (never rows of `events`); `canary` is undefined for one that cannot be read. */
  canaries: Array<{ canary: Canary | undefined }>
}

const decoder = new TextDecoder()

/**
 * Stream records → events, one record at a time, so a caller can give the event loop back
 * between records of a large batch. A record that cannot be read is poison: it is kept (with
 * its raw bytes) for the rejected table rather than blocking the partition or vanishing.
 */
export class RecordDecoder {
  private readonly out: DecodedBatch = {
    events: [],
    refusals: [],
    keys: [],
    offsets: [],
    poison: [],
    duplicatesInBatch: new Map(),
    canaries: [],
  }
  private readonly seen = new Set<string>()

  /** Decodes one record; returns how many events it held (the caller's measure of work done). */
  add(record: StoredRecord): number {
    const text = decoder.decode(record.value)
    let batch: EdgeBatch
    try {
      const parsed = readEdgeBatch(JSON.parse(text))
      if (!parsed.ok) throw new Error(parsed.message)
      batch = parsed.value
    } catch (err) {
      this.out.poison.push({
        offset: record.offset,
        partition: record.partition,
        reason: (err as Error).message,
        raw: text,
      })
      return 1
    }
    for (const r of batch.rejected ?? []) {
      this.out.refusals.push({
        id: `${batch.batch_id}:${r.index}`,
        siteId: batch.site_id,
        receivedAt: batch.received_at,
        ingestPath: batch.ingest_path ?? '',
        code: String(r.code),
        message: String(r.message),
        messageId: typeof r.message_id === 'string' ? r.message_id : '',
        raw: typeof r.raw === 'string' ? r.raw : '',
      })
    }
    for (const event of batch.events) {
      // Told by the ingest path alone, so nothing claiming to be a canary can become a row.
      if (isCanary(event)) {
        this.out.canaries.push({ canary: readCanary(event) })
        continue
      }
      const key = dedupKey(event.site_id, event.message_id)
      if (this.seen.has(key)) {
        const dupes = this.out.duplicatesInBatch
        dupes.set(event.site_id, (dupes.get(event.site_id) ?? 0) + 1)
        continue
      }
      this.seen.add(key)
      this.out.events.push(event)
      this.out.keys.push(key)
      this.out.offsets.push(record.offset)
    }
    return batch.events.length + (batch.rejected?.length ?? 0)
  }

  result(): DecodedBatch {
    return this.out
  }
}

/**
 * The insert token names the exact rows, so a retried insert of the same rows (after a
 * timeout whose insert actually landed) is dropped by ClickHouse.
 */
export function insertToken(keys: readonly string[]): Promise<string> {
  return sha256Hex(keys.join('\n'))
}
