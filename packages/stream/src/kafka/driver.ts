import type { StoredRecord } from '../port.ts'

/**
 * What the Kafka adapter needs from a client library. Everything with semantics (batching of
 * appends, partitioning, chunking, retries, commit-after-handler) lives in kafka-stream.ts once;
 * a driver only translates these calls to one client (kafkajs, @platformatic/kafka), so the
 * client can be swapped without touching the behaviour the contract tests pin down.
 */
export interface OutgoingMessage {
  partition: number
  key?: string
  value: Uint8Array
}

export interface GroupSession {
  /**
   * Commits `offset` (the next offset to read) for the partition, in this member's generation.
   * Called only once the handler of every record before `offset` resolved, so a driver may
   * take it as "delivered up to here" even when the commit itself fails.
   */
  commit(partition: number, offset: number): Promise<void>
  /**
   * True once this member lost the partition, is stopping, or is giving its partitions up for
   * a rebalance: start no further batch of it and stop retrying. The batch in the handler
   * still finishes and commits; a driver lets the partition move only after that.
   */
  revoked(partition: number): boolean
  /** Keeps the membership alive while a long handler runs (no-op where the client does it). */
  heartbeat(): Promise<void>
}

export interface GroupOptions {
  group: string
  topic: string
  maxWaitMs: number
  maxBytes: number
  /**
   * Called with each fetched run of records of one partition, in offset order; the driver
   * hands over nothing more of that partition until the returned promise settles.
   */
  onRecords(partition: number, records: StoredRecord[], session: GroupSession): Promise<void>
  /** Something went wrong that the member survives (a failed commit, a retried fetch). */
  onError(err: unknown): void
  /**
   * The member stopped consuming for good: its client gave up (a fetch or rejoin out of
   * retries, a fatal stream error, a crash it does not restart from). Called at most once,
   * never after stop(); from then on `revoked()` is true for every partition and the member
   * commits nothing more, so the batch still in a handler is left to whoever reads the
   * partition next. The adapter stops the member and joins a new one in its place.
   */
  onFailed(err: unknown): void
}

export interface GroupMember {
  stop(): Promise<void>
}

export interface TopicConfig {
  name: string
  partitions: number
  replicationFactor: number
  config: Record<string, string>
}

export interface KafkaDriver {
  readonly name: string
  partitionCount(topic: string): Promise<number>
  /** One produce request (acks=all, idempotent); base offset per partition that got messages. */
  produce(topic: string, messages: OutgoingMessage[]): Promise<Map<number, number>>
  join(options: GroupOptions): Promise<GroupMember>
  /** Committed next-offset per partition; partitions without a commit are absent. */
  committedOffsets(group: string, topic: string): Promise<Map<number, number>>
  /** Log start and end (high watermark) offsets per partition. */
  offsetRange(topic: string): Promise<Map<number, { start: number; end: number }>>
  describeTopics(names: string[]): Promise<Map<string, { partitions: number }>>
  createTopic(topic: TopicConfig): Promise<void>
  createPartitions(topic: string, count: number): Promise<void>
  alterTopicConfig(topic: string, config: Record<string, string>): Promise<void>
  close(): Promise<void>
}
