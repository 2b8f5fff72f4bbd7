import { join } from 'node:path'
import { SegmentConsumer } from './consumer.ts'
import { OffsetsStore } from './offsets-store.ts'
import type { BatchHandler, ConsumeOptions, Consumer, EventStream, StreamRecord } from './port.ts'
import { TopicLog } from './topic-log.ts'

export interface SegmentLogOptions {
  /** Root directory; holds `topics/<topic>/<partition>/*.seg` and `offsets/<group>/<topic>.json`. */
  dir: string
  /** Roll to a new segment once the active one reaches this size. Default 64 MiB. */
  segmentBytes?: number
  /** Per partition, as Kafka's retention.bytes. Default: unlimited. */
  retentionBytes?: number
  /** Age of a sealed segment (since its last write) after which it may go. Default 7 days. */
  retentionMs?: number
  /** Partitions per topic. Default 1. Must not shrink for an existing directory. */
  partitions?: number
  /** fsync before acknowledging appends and commits. Default true; false only for tests/benchmarks. */
  fsync?: boolean
  /** First retry delay after a handler throws; doubles per attempt. Default 100 ms. */
  backoffInitialMs?: number
  /** Retry delay cap. Default 5 s. */
  backoffMaxMs?: number
  /** Errors the consumers retry on their own (handler throws, I/O); wire to a logger. */
  onError?: (err: unknown, context: { group: string; topic: string }) => void
}

const DEFAULTS = {
  segmentBytes: 64 * 1024 * 1024,
  retentionBytes: Number.POSITIVE_INFINITY,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  partitions: 1,
  maxRecords: 1000,
  maxBytes: 4 * 1024 * 1024,
  maxWaitMs: 100,
}

/** Kafka's topic-name alphabet; names become directory and file names, so nothing else is allowed. */
const NAME = /^[A-Za-z0-9._-]{1,200}$/

function assertName(kind: string, name: string): void {
  if (!NAME.test(name) || name === '.' || name === '..') {
    throw new Error(`invalid ${kind} name ${JSON.stringify(name)}: use letters, digits, '.', '_', '-'`)
  }
}

/** FNV-1a: stable across processes and versions, so a key keeps its partition after a restart. */
function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5
  for (const byte of Buffer.from(key, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193)
  return (hash >>> 0) % partitions
}

/**
 * The embedded adapter of the stream port: an append-only, fsynced segment log per topic
 * partition, with consumer-group offsets, for one process (see docs/adr/0002).
 */
export function segmentLogStream(options: SegmentLogOptions): EventStream {
  const partitions = options.partitions ?? DEFAULTS.partitions
  if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError('partitions must be >= 1')
  const topicOptions = {
    partitions,
    segmentBytes: options.segmentBytes ?? DEFAULTS.segmentBytes,
    retentionMs: options.retentionMs ?? DEFAULTS.retentionMs,
    retentionBytes: options.retentionBytes ?? DEFAULTS.retentionBytes,
    fsync: options.fsync ?? true,
  }
  const store = new OffsetsStore(join(options.dir, 'offsets'), topicOptions.fsync)
  const topics = new Map<string, Promise<TopicLog>>()
  const consumers = new Map<string, SegmentConsumer>()
  let roundRobin = 0
  let closed = false

  function topicLog(name: string): Promise<TopicLog> {
    let topic = topics.get(name)
    if (topic === undefined) {
      topic = TopicLog.open(name, join(options.dir, 'topics', name), store, topicOptions)
      topics.set(name, topic)
      // A failed open must not be cached forever; the next call tries again.
      topic.catch(() => topics.delete(name))
    }
    return topic
  }

  return {
    async append(topicName: string, records: StreamRecord[]) {
      if (closed) throw new Error('stream is closed')
      assertName('topic', topicName)
      const topic = await topicLog(topicName)
      // One call lands in one partition so its records stay contiguous and ordered; the first
      // record's key picks it, keyless calls spread round-robin.
      const key = records[0]?.key
      const partition = key === undefined ? roundRobin++ % partitions : partitionOf(key, partitions)
      const baseOffset = await topic.partitions[partition]!.append(records)
      return { partition, baseOffset }
    },

    consume(consumeOptions: ConsumeOptions, handler: BatchHandler): Consumer {
      if (closed) throw new Error('stream is closed')
      const { group, topic } = consumeOptions
      assertName('group', group)
      assertName('topic', topic)
      const slot = `${group}\u0000${topic}`
      // One process, no rebalancing: a second member of a group would double-deliver.
      if (consumers.has(slot)) throw new Error(`group ${group} is already consuming ${topic}`)
      const consumer = new SegmentConsumer(topicLog(topic), handler, {
        group,
        maxRecords: Math.max(1, consumeOptions.maxRecords ?? DEFAULTS.maxRecords),
        maxBytes: Math.max(1, consumeOptions.maxBytes ?? DEFAULTS.maxBytes),
        maxWaitMs: Math.max(0, consumeOptions.maxWaitMs ?? DEFAULTS.maxWaitMs),
        busyWait: consumeOptions.busyWait,
        prefetch: consumeOptions.prefetch,
        backoffInitialMs: options.backoffInitialMs ?? 100,
        backoffMaxMs: options.backoffMaxMs ?? 5000,
        onError: (err) => options.onError?.(err, { group, topic }),
        onExit: () => {
          if (consumers.get(slot) === consumer) consumers.delete(slot)
        },
      })
      consumers.set(slot, consumer)
      return consumer
    },

    async lag(group: string, topicName: string) {
      assertName('group', group)
      assertName('topic', topicName)
      return (await topicLog(topicName)).lag(group)
    },

    async close() {
      if (closed) return
      closed = true
      await Promise.all([...consumers.values()].map((c) => c.stop()))
      const opened = await Promise.allSettled(topics.values())
      await Promise.all(opened.map((t) => (t.status === 'fulfilled' ? t.value.close() : undefined)))
    },
  }
}
