/**
 * The stream port. Shaped after Kafka (topics, partitions, offsets, consumer groups) so the
 * kafkajs adapter and the embedded segment log are interchangeable behind it.
 */
export interface StreamRecord {
  /** Partitioning key (Kafka: message key). The embedded log keeps it but has one partition per topic unless configured otherwise. */
  key?: string
  value: Uint8Array
}

export interface StoredRecord extends StreamRecord {
  partition: number
  offset: number
}

export interface AppendResult {
  partition: number
  /** Offset of the first appended record. */
  baseOffset: number
}

export interface RecordBatch {
  topic: string
  partition: number
  records: StoredRecord[]
}

export interface BusyWait {
  bytesPerSec: number
  maxWaitMs: number
}

export interface ConsumeOptions {
  group: string
  topic: string
  /** Deliver at most this many records per batch. */
  maxRecords?: number
  /** Deliver at most this many bytes (sum of value sizes) per batch; at least one record always. */
  maxBytes?: number
  /** When fewer than maxRecords are ready, wait up to this long for more before delivering. */
  maxWaitMs?: number
  /**
   * A busy stream's longer wait: while records arrive at `bytesPerSec` or more (measured
   * between the last two batches), wait up to `maxWaitMs` instead of the plain one. A quiet
   * stream keeps its short wait; under load batches get fewer and larger, which is what a
   * sink with a per-write cost wants (each ClickHouse insert is a part that background
   * merges pay for again). Honoured by the embedded log; Kafka's fetch hands over what the
   * broker has.
   */
  busyWait?: BusyWait
  /**
   * Read-ahead hook: when set, the next batch is read while the handler of the current one
   * runs and is passed here first, so CPU work on it (decoding) overlaps the sink's I/O.
   * A hint only: every batch still reaches the handler in order, and is committed only after
   * its handler resolved. Throws are reported as consumer errors and otherwise ignored.
   */
  prefetch?: (batch: RecordBatch) => void
}

export interface Consumer {
  /** Stops after the in-flight batch's handler settles; does not commit an unfinished batch. */
  stop(): Promise<void>
}

/**
 * Handler contract: resolve only after the sink has acknowledged the whole batch; the
 * offsets are then committed. Throwing means "not done": the same records are delivered
 * again (after a backoff), never skipped. Poison records are the handler's job (DLQ).
 */
export type BatchHandler = (batch: RecordBatch) => Promise<void>

export interface EventStream {
  /**
   * Resolves once the records are durable (fsync / acks=all). Rejects otherwise. All records of
   * one call go to one partition (the embedded log picks it from the first record's key, or
   * round-robin without a key), so `baseOffset` + index is each record's offset.
   */
  append(topic: string, records: StreamRecord[]): Promise<AppendResult>
  /** At-least-once delivery from the group's committed offset. */
  consume(options: ConsumeOptions, handler: BatchHandler): Consumer
  /** Records appended but not yet committed by the group, per topic (lag). */
  lag(group: string, topic: string): Promise<number>
  close(): Promise<void>
}
