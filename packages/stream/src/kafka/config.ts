import { z } from 'zod'
import type { EventStream } from '../port.ts'
import { segmentLogStream } from '../segment-log.ts'
import type { KafkaDriver } from './driver.ts'
import { kafkaStream } from './kafka-stream.ts'
import { type ClientSettings, kafkajsDriver } from './kafkajs-driver.ts'
import { platformaticDriver } from './platformatic-driver.ts'

/** The Kafka client behind the port: @platformatic/kafka by default, kafkajs selectable (docs/adr/0013). */
export const KafkaClientSchema = z.enum(['platformatic', 'kafkajs'])
export type KafkaClient = z.infer<typeof KafkaClientSchema>

export const KafkaStreamConfigSchema = z.object({
  kind: z.literal('kafka'),
  brokers: z.array(z.string().min(1)).min(1),
  client: KafkaClientSchema.default('platformatic'),
  clientId: z.string().min(1).default('sightline'),
  /**
   * Unset: lz4 on @platformatic/kafka (1.4× gzip's end-to-end rate in bench/kafka-clients),
   * gzip on kafkajs, which has only gzip built in.
   */
  compression: z.enum(['none', 'gzip', 'lz4', 'snappy', 'zstd']).optional(),
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

/** The client settings a config resolves to, unset compression chosen per client. */
export function clientSettings(config: KafkaStreamConfig): ClientSettings {
  return {
    brokers: config.brokers,
    clientId: config.clientId,
    compression: config.compression ?? (config.client === 'kafkajs' ? 'gzip' : 'lz4'),
    sessionTimeoutMs: config.sessionTimeoutMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
  }
}

export function kafkaDriver(config: KafkaStreamConfig): KafkaDriver {
  const settings = clientSettings(config)
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
