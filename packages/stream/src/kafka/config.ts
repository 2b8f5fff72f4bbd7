import { z } from 'zod'
import type { EventStream } from '../port.ts'
import { segmentLogStream } from '../segment-log.ts'
import type { KafkaDriver } from './driver.ts'
import { kafkaStream } from './kafka-stream.ts'
import { type ClientSettings, kafkajsDriver } from './kafkajs-driver.ts'
import { platformaticDriver } from './platformatic-driver.ts'

/** The Kafka client behind the port; kafkajs stays the default until the switch to @platformatic/kafka (docs/adr/0013, "Next"). */
export const KafkaClientSchema = z.enum(['platformatic', 'kafkajs'])
export type KafkaClient = z.infer<typeof KafkaClientSchema>

export const KafkaStreamConfigSchema = z.object({
  kind: z.literal('kafka'),
  brokers: z.array(z.string().min(1)).min(1),
  client: KafkaClientSchema.default('kafkajs'),
  clientId: z.string().min(1).default('sightline'),
  /** kafkajs only has gzip built in; @platformatic/kafka also has lz4, snappy and zstd. */
  compression: z.enum(['none', 'gzip', 'lz4', 'snappy', 'zstd']).default('gzip'),
  lingerMs: z.number().min(0).default(2),
  maxRequestBytes: z
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  appendTimeoutMs: z.number().int().min(100).default(10_000),
  sessionTimeoutMs: z.number().int().min(1000).default(30_000),
  heartbeatIntervalMs: z.number().int().min(100).default(3_000),
})

export const SegmentLogStreamConfigSchema = z.object({
  kind: z.literal('embedded'),
  dir: z.string().min(1),
  partitions: z.number().int().min(1).default(1),
})

/** What a composition root parses to choose the stream adapter (`kind`). */
export const StreamConfigSchema = z.discriminatedUnion('kind', [
  SegmentLogStreamConfigSchema,
  KafkaStreamConfigSchema,
])
export type StreamConfig = z.input<typeof StreamConfigSchema>
export type KafkaStreamConfig = z.output<typeof KafkaStreamConfigSchema>

export function kafkaDriver(config: KafkaStreamConfig): KafkaDriver {
  const settings: ClientSettings = {
    brokers: config.brokers,
    clientId: config.clientId,
    compression: config.compression,
    sessionTimeoutMs: config.sessionTimeoutMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
  }
  return config.client === 'kafkajs' ? kafkajsDriver(settings) : platformaticDriver(settings)
}

export function streamFromConfig(
  input: StreamConfig,
  onError?: (err: unknown, context: { group: string; topic: string }) => void,
): EventStream {
  const config = StreamConfigSchema.parse(input)
  if (config.kind === 'embedded') {
    return segmentLogStream({
      dir: config.dir,
      partitions: config.partitions,
      ...(onError ? { onError } : {}),
    })
  }
  return kafkaStream({
    driver: kafkaDriver(config),
    lingerMs: config.lingerMs,
    maxRequestBytes: config.maxRequestBytes,
    appendTimeoutMs: config.appendTimeoutMs,
    ...(onError ? { onError } : {}),
  })
}
