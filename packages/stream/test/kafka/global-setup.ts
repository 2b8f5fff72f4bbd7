import { type KafkaBroker, startKafka } from '@sightline/testing'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap brokers of the one broker this project's Kafka tests share, or why it is missing. */
    kafka: { brokers: string[] } | { error: string }
  }
}

let broker: KafkaBroker | undefined

/**
 * One real broker for the whole stream project (JVM start-up is the expensive part); each test
 * makes its own topics and groups. A broker that cannot start is not a skip: the Kafka test
 * files fail in their first hook with this one line, in CI and locally alike.
 */
export async function setup(project: TestProject): Promise<void> {
  try {
    broker = await startKafka()
    project.provide('kafka', { brokers: broker.brokers })
  } catch (err) {
    project.provide('kafka', { error: (err as Error).message })
  }
}

export async function teardown(): Promise<void> {
  await broker?.stop()
}
