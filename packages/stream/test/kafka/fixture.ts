import { randomUUID } from 'node:crypto'
import { inject } from 'vitest'
import type { ClientSettings, EventStream, KafkaDriver } from '../../src/index.ts'
import { kafkaStream } from '../../src/kafka/kafka-stream.ts'
import { kafkajsDriver } from '../../src/kafka/kafkajs-driver.ts'
import { platformaticDriver } from '../../src/kafka/platformatic-driver.ts'

export type ClientName = 'kafkajs' | 'platformatic'

/** The shared broker's address; throws the broker's start failure as one line (no skipping). */
export function brokers(): string[] {
  const kafka = inject('kafka')
  if ('error' in kafka) throw new Error(kafka.error)
  return kafka.brokers
}

/** A broker other than the shared one (a test that kills its own), or shorter group timeouts. */
export interface ClientOverrides {
  brokers?: string[]
  sessionTimeoutMs?: number
  heartbeatIntervalMs?: number
}

export function driverFor(client: ClientName, overrides: ClientOverrides = {}): KafkaDriver {
  const settings: ClientSettings = {
    brokers: overrides.brokers ?? brokers(),
    clientId: `test-${client}`,
    compression: client === 'kafkajs' ? 'gzip' : 'lz4',
    sessionTimeoutMs: overrides.sessionTimeoutMs ?? 10_000,
    heartbeatIntervalMs: overrides.heartbeatIntervalMs ?? 1_000,
  }
  return client === 'kafkajs' ? kafkajsDriver(settings) : platformaticDriver(settings)
}

export function streamFor(
  client: ClientName,
  options: { backoffInitialMs?: number; onError?: (err: unknown) => void; client?: ClientOverrides } = {},
): EventStream {
  return kafkaStream({
    driver: driverFor(client, options.client),
    backoffInitialMs: options.backoffInitialMs ?? 5,
    lingerMs: 1,
    ...(options.onError ? { onError: options.onError } : {}),
  })
}

/** A topic no other test uses, created with `partitions` partitions. */
export async function uniqueTopic(
  client: ClientName,
  partitions: number,
  overrides: ClientOverrides = {},
): Promise<string> {
  const name = `t-${client}-${randomUUID().slice(0, 8)}`
  const driver = driverFor(client, overrides)
  try {
    await driver.createTopic({ name, partitions, replicationFactor: 1, config: {} })
  } finally {
    await driver.close()
  }
  return name
}
