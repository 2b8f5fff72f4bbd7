import { rm } from 'node:fs/promises'
import { type KafkaBroker, startKafka } from '@sightline/testing'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import type { EventStream, RecordBatch } from '../../src/index.ts'
import { sleep, str, text } from '../helpers.ts'
import { type ClientName, type ClientOverrides, streamFor, uniqueTopic } from './fixture.ts'

const PARTITIONS = 2
const GROUP = 'writers'
const KEYS = 16
/**
 * The broker's smallest allowed session: after the restart the coordinator keeps the dead
 * member in the group until its session lapses, and only then hands its partitions on.
 */
const SESSION_MS = 6_000
/** Records handled before the kill, and acknowledged and handled after the restart. */
const VOLUME = 300

/**
 * A broker of this file's own, since it is killed: the one the other Kafka test files share
 * must stay up. Each test kills it and starts it again on the same port and data directory.
 */
let broker: KafkaBroker
let dataDir: string
beforeAll(async () => {
  broker = await startKafka()
  dataDir = broker.dataDir
})
afterAll(async () => {
  await broker?.stop()
  // A broker restarted on a given directory does not remove it on stop.
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)
    await sleep(20)
  }
}

const indexOf = (value: string) => Number(value.slice('r-'.length))

/**
 * Appends one record at a time until stopped, and keeps at it while the broker is gone: an
 * append that fails is tried again (it may have been written anyway; the consumer's side is
 * at-least-once). Only acknowledged appends count.
 */
function keepAppending(stream: EventStream, topic: string) {
  const acknowledged: { value: string; partition: number; offset: number }[] = []
  let next = 0
  let running = true
  const done = (async () => {
    while (running) {
      const value = `r-${next}`
      try {
        const { partition, baseOffset } = await stream.append(topic, [
          { key: `k-${next % KEYS}`, value: text(value) },
        ])
        acknowledged.push({ value, partition, offset: baseOffset })
        next++
        await sleep(2)
      } catch {
        await sleep(100)
      }
    }
  })()
  return {
    acknowledged,
    nextIndex: () => next,
    async stop() {
      running = false
      await done
    },
  }
}

describe.each<ClientName>(['platformatic', 'kafkajs'])(
  'consumer recovery after the broker was gone past the client retries: %s',
  (client) => {
    it('reports the failure, resumes on its own from the committed offsets, handles every acknowledged record and ends with lag 0', async () => {
      const overrides: ClientOverrides = {
        brokers: broker.brokers,
        sessionTimeoutMs: SESSION_MS,
        heartbeatIntervalMs: 500,
      }
      const topic = await uniqueTopic(client, PARTITIONS, overrides)
      const errors: string[] = []
      const consumerStream = streamFor(client, {
        client: overrides,
        onError: (err) => errors.push((err as Error).message ?? String(err)),
      })
      const producerStream = streamFor(client, { client: overrides })
      const producer = keepAppending(producerStream, topic)
      onTestFinished(async () => {
        await producer.stop().catch(() => undefined)
        await Promise.allSettled([consumerStream.close(), producerStream.close()])
      })

      const handled = new Map<string, number>()
      let holdNext = false
      let held: RecordBatch | undefined
      let release!: () => void
      const released = new Promise<void>((resolve) => (release = resolve))
      const consumer = consumerStream.consume(
        { group: GROUP, topic, maxRecords: 50, maxWaitMs: 20 },
        async (batch) => {
          if (holdNext) {
            holdNext = false
            held = batch
            await released
          }
          for (const r of batch.records) handled.set(str(r.value), (handled.get(str(r.value)) ?? 0) + 1)
        },
      )
      /** Acknowledged records from the `from`th append on that were handled. */
      const handledFrom = (from: number) =>
        producer.acknowledged.filter((r) => indexOf(r.value) >= from && handled.has(r.value))
      const partitionsOf = (records: { partition: number }[]) => new Set(records.map((r) => r.partition)).size

      await waitFor(
        `${VOLUME} records over every partition were handled`,
        () => handledFrom(0).length >= VOLUME && partitionsOf(handledFrom(0)) === PARTITIONS,
        20_000,
      )

      // A batch is in the handler when the broker dies, and stays there until the member is
      // given up: whatever it does after that must not commit it (it is not delivered yet from
      // the group's point of view, so the next member handles it again).
      holdNext = true
      await waitFor('a batch is in the handler', () => held !== undefined, 10_000)
      const inFlight = held!.records.map((r) => str(r.value))
      await broker.kill()
      const reportedBeforeKill = errors.length
      const reportedSinceKill = () => errors.slice(reportedBeforeKill)
      if (client === 'platformatic') {
        // Its client fetches while a handler runs, so it gives up with the batch still held.
        await waitFor(
          'the adapter reported the failed member',
          () => reportedSinceKill().some((m) => m.includes('failed for good')),
          20_000,
        )
      }
      // kafkajs fetches, heartbeats and so notices the outage only between batches.
      release()
      await waitFor('the consumer reported the outage', () => reportedSinceKill().length > 0, 30_000)

      broker = await startKafka({ dataDir: broker.dataDir, port: broker.port })
      const afterRestart = producer.nextIndex()
      await waitFor(
        `${VOLUME} records over every partition appended after the restart were handled`,
        () =>
          handledFrom(afterRestart).length >= VOLUME &&
          partitionsOf(handledFrom(afterRestart)) === PARTITIONS,
        30_000,
      )

      await producer.stop()
      const unhandled = () => producer.acknowledged.filter((r) => !handled.has(r.value))
      await waitFor('every acknowledged record was handled', () => unhandled().length === 0, 15_000)
      await consumer.stop()
      expect(await producerStream.lag(GROUP, topic)).toBe(0)

      // The held batch finished after its member was given up, so nothing of it was committed
      // by that member: the new one fetched it again from the group's offsets.
      expect(inFlight.filter((v) => (handled.get(v) ?? 0) < 2)).toEqual([])
      expect(unhandled()).toEqual([])
    }, 60_000)
  },
)
