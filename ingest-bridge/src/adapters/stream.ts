// The stream adapter a pipeline runs on, chosen from config: the embedded segment log, or
// Kafka (with the bridge's on-disk spool in front when the receiver runs, see spool/).
import { join } from 'node:path'
import {
  type AppliedTopic,
  applyTopics,
  type EventStream,
  type KafkaStreamConfig,
  KafkaStreamConfigSchema,
  kafkaDriver,
  readTopicsFile,
  segmentLogStream,
  streamFromConfig,
} from '@sightline/stream'
import type { LogFn } from '../logger.ts'
import { type SpoolStatus, spoolingStream } from '../spool/spooling-stream.ts'

export type StreamConfig =
  | { kind: 'segment-log'; dir: string; fsync?: boolean }
  | (Omit<Partial<KafkaStreamConfig>, 'kind'> & {
      kind: 'kafka'
      brokers: string[]
      /**
       * Where a receiver spools while Kafka is unreachable, and how much it may hold
       * (default 1 GiB). Without it a Kafka failure is a 503 at once.
       */
      spool?: { dir: string; maxBytes?: number; fsync?: boolean; primaryTimeoutMs?: number }
    })

export interface OpenedStream {
  stream: EventStream
  /** True when records are spread over partitions by key (Kafka): the receiver then keys by person. */
  partitioned: boolean
  /** The spool's state, when there is one. */
  spool?: () => Promise<SpoolStatus>
}

export const DEFAULT_SPOOL_BYTES = 1024 ** 3

export async function openStream(config: StreamConfig, topic: string, log?: LogFn): Promise<OpenedStream> {
  const onError = (err: unknown, ctx: { group: string; topic: string }) =>
    log?.('warn', 'stream consumer retrying', { err: String(err), ...ctx })
  if (config.kind === 'segment-log') {
    return {
      partitioned: false,
      stream: segmentLogStream({
        dir: config.dir,
        ...(config.fsync === undefined ? {} : { fsync: config.fsync }),
        onError,
      }),
    }
  }
  const { spool, ...kafka } = config
  const primary = streamFromConfig(KafkaStreamConfigSchema.parse(kafka), onError)
  if (!spool) return { partitioned: true, stream: primary }
  const spooled = await spoolingStream({
    primary,
    spool: segmentLogStream({
      dir: spool.dir,
      // Small segments so drained ones are deleted soon; retention waits for the drainer's commit.
      segmentBytes: 8 * 1024 * 1024,
      retentionMs: 0,
      ...(spool.fsync === undefined ? {} : { fsync: spool.fsync }),
      onError,
    }),
    spoolDir: join(spool.dir, 'topics'),
    topics: [topic],
    maxBytes: spool.maxBytes ?? DEFAULT_SPOOL_BYTES,
    ...(spool.primaryTimeoutMs ? { primaryTimeoutMs: spool.primaryTimeoutMs } : {}),
    ...(log ? { log } : {}),
  })
  return { partitioned: true, stream: spooled, spool: () => spooled.status() }
}

/** The repository's topics file (events.v1, events.dlq), relative to this package. */
export const TOPICS_FILE = join(import.meta.dirname, '../../../infra/kafka/topics.json')

/**
 * Makes the cluster's topics match the topics file (idempotent). Run once before the bridges
 * and writers start, not by each of them: concurrent creates of one topic race.
 */
export async function ensureKafkaTopics(brokers: string[], file = TOPICS_FILE): Promise<AppliedTopic[]> {
  const driver = kafkaDriver(KafkaStreamConfigSchema.parse({ kind: 'kafka', brokers }))
  try {
    return await applyTopics(driver, await readTopicsFile(file))
  } finally {
    await driver.close()
  }
}
