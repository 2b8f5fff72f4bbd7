import { describe, expect, it, onTestFinished } from 'vitest'
import type { Consumer, EventStream, RecordBatch } from '../../src/index.ts'
import { sleep, str, text } from '../helpers.ts'

export interface RebalanceTarget {
  name: string
  /** A topic nobody else uses, with `partitions` partitions. */
  topic(partitions: number): Promise<string>
  /** A stream over a client of its own, as a separate process has; its consumers' errors go to onError. */
  stream(onError: (err: unknown) => void): EventStream
}

const PARTITIONS = 4
const GROUP = 'writers'
/** Enough keys that murmur2 puts some on every one of the partitions. */
const KEYS = 64
/**
 * What a sink's write takes. Members spend most of their time inside a handler, so a
 * rebalance nearly always finds a batch in flight: the case where a member that gives its
 * partitions up too early shows as two members in one partition, or a batch handled twice
 * (without the platformatic member's wait before rejoining, 5 of 6 runs failed so). The
 * clean stop below does not rely on chance: it holds a batch in A's handler.
 */
const SINK_MS = 20

/** Polls until `condition` holds, failing with `what` after `timeoutMs`. */
async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs = 15_000,
  explain: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}${explain()}`)
    await sleep(10)
  }
}

async function within<T>(what: string, promise: Promise<T>, timeoutMs = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

const indexOf = (value: string) => Number(value.slice('r-'.length))

/** Appends one record per call, keys spread over the partitions, until stopped. */
function startProducer(stream: EventStream, topic: string) {
  const appended: { value: string; partition: number; offset: number }[] = []
  let next = 0
  let running = true
  const done = (async () => {
    while (running) {
      const i = next++
      const value = `r-${i}`
      const { partition, baseOffset } = await stream.append(topic, [
        { key: `k-${i % KEYS}`, value: text(value) },
      ])
      appended.push({ value, partition, offset: baseOffset })
    }
  })()
  // A failed append surfaces in stop(); a test that fails first must not leave it unhandled.
  done.catch(() => undefined)
  return {
    appended,
    /** Index of the next append to start: records from here on were appended after now. */
    nextIndex: () => next,
    async stop() {
      running = false
      await done
    },
  }
}

interface Handling {
  member: string
  partition: number
  values: string[]
  /** Positions of the handler's start and end in one order over all members. */
  started: number
  ended: number
}

/** Members of one group on one topic, with a record of every handler call across them. */
function groupOn(topic: string) {
  let clock = 0
  const handlings: Handling[] = []
  const inside = new Map<number, string[]>()
  const overlaps: string[] = []

  function join(name: string, stream: EventStream) {
    let hold: { entered: (batch: RecordBatch) => void; released: Promise<void> } | undefined
    const consumer: Consumer = stream.consume(
      { group: GROUP, topic, maxRecords: 50, maxWaitMs: 20 },
      async (batch) => {
        const started = clock++
        const others = inside.get(batch.partition) ?? []
        if (others.length > 0) overlaps.push(`${name} in partition ${batch.partition} while ${others} was`)
        inside.set(batch.partition, [...others, name])
        try {
          await sleep(SINK_MS)
          const held = hold
          if (held) {
            hold = undefined
            held.entered(batch)
            await held.released
          }
          const values = batch.records.map((r) => str(r.value))
          handlings.push({ member: name, partition: batch.partition, values, started, ended: clock++ })
        } finally {
          const now = inside.get(batch.partition)!
          now.splice(now.indexOf(name), 1)
        }
      },
    )
    return {
      name,
      consumer,
      /** The next batch stays in the handler until `release()`; `entered` says which it is. */
      holdNextBatch() {
        let release!: () => void
        const released = new Promise<void>((resolve) => (release = resolve))
        const entered = new Promise<RecordBatch>((resolve) => (hold = { entered: resolve, released }))
        return { entered, release }
      },
      handled: () => handlings.filter((h) => h.member === name),
    }
  }

  return { join, handlings, overlaps, now: () => clock }
}

/**
 * What a consumer group on the Kafka adapter must keep while members come and go: a
 * partition is handled by one member at a time, a clean stop commits its in-flight batch
 * before the partitions move, and nothing is lost or handled twice on the way.
 */
export function describeRebalance(target: RebalanceTarget): void {
  describe(`consumer group rebalance: ${target.name}`, () => {
    it('splits partitions when a member joins, hands them all over when one stops cleanly, and neither loses nor repeats a record', async () => {
      const topic = await target.topic(PARTITIONS)
      const errors: string[] = []
      const streams: EventStream[] = []
      const open = (name: string) => {
        const stream = target.stream((err) => errors.push(`${name}: ${(err as Error).message ?? err}`))
        streams.push(stream)
        return stream
      }
      const producerStream = open('producer')
      const producer = startProducer(producerStream, topic)
      onTestFinished(async () => {
        await producer.stop().catch(() => undefined)
        await Promise.allSettled(streams.map((s) => s.close()))
      })
      const group = groupOn(topic)
      const partitionsOf = (handlings: Handling[]) => new Set(handlings.map((h) => h.partition))

      // 1. A alone holds every partition.
      const a = group.join('A', open('A'))
      await waitFor(
        'A handled records of every partition',
        () => partitionsOf(a.handled()).size === PARTITIONS,
      )

      // 2. B joins mid-stream: from B's first batch on, each member handles its own share.
      const b = group.join('B', open('B'))
      await waitFor('B handled a batch', () => b.handled().length > 0)
      const joined = Math.min(...b.handled().map((h) => h.started))
      const aAfterJoin = () => a.handled().filter((h) => h.started > joined)
      await waitFor(
        'the two members together handled every partition after the join',
        () => new Set([...partitionsOf(aAfterJoin()), ...partitionsOf(b.handled())]).size === PARTITIONS,
      )
      const shareOfA = partitionsOf(aAfterJoin())
      const shareOfB = partitionsOf(b.handled())
      expect(shareOfA.size).toBeGreaterThan(0)
      expect(shareOfB.size).toBeGreaterThan(0)
      expect([...shareOfA].filter((p) => shareOfB.has(p))).toEqual([])

      // 3. A stops cleanly while a batch is in its handler: stop waits for it and commits it.
      const held = a.holdNextBatch()
      const inFlight = await within('a batch reaching A', held.entered)
      const stopping = a.consumer.stop()
      held.release()
      await within('A.stop()', stopping)
      const stoppedAt = group.now()
      const afterStop = producer.nextIndex()
      const inFlightValues = inFlight.records.map((r) => str(r.value))
      expect(a.handled().some((h) => h.values.join() === inFlightValues.join() && h.ended < stoppedAt)).toBe(
        true,
      )
      await waitFor('B handled records of every partition appended after A stopped', () => {
        const fresh = b.handled().filter((h) => h.values.some((v) => indexOf(v) >= afterStop))
        return partitionsOf(fresh).size === PARTITIONS
      })
      expect(a.handled().filter((h) => h.started >= stoppedAt)).toEqual([])

      // 4. Appends end, B drains: everything handled, exactly once, and nothing left uncommitted.
      await producer.stop()
      const appended = producer.appended.map((r) => r.value)
      const unhandled = () => {
        const seen = new Set(group.handlings.flatMap((h) => h.values))
        return producer.appended.filter((r) => !seen.has(r.value))
      }
      await waitFor(
        `all ${appended.length} appended records were handled`,
        () => unhandled().length === 0,
        15_000,
        () => `; not: ${unhandled().map((r) => `${r.value} (partition ${r.partition} offset ${r.offset})`)}`,
      )
      await within('B.stop()', b.consumer.stop())
      expect(await producerStream.lag(GROUP, topic)).toBe(0)

      const times = new Map<string, number>()
      for (const v of group.handlings.flatMap((h) => h.values)) times.set(v, (times.get(v) ?? 0) + 1)
      // A clean handover commits before the partition moves, so nothing is handled twice:
      // not A's batch in flight at its stop, nor any batch in flight when B joined.
      expect(inFlightValues.filter((v) => times.get(v) !== 1)).toEqual([])
      const twice = [...times].filter(([, n]) => n > 1).map(([v]) => v)
      expect(twice).toEqual([])
      expect(group.overlaps).toEqual([])
      expect(errors).toEqual([])
      expect(appended.length).toBeGreaterThan(PARTITIONS * 10)
    }, 45_000)
  })
}
