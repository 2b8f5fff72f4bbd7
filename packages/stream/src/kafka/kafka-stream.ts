import type {
  BatchHandler,
  ConsumeOptions,
  Consumer,
  EventStream,
  RecordBatch,
  StoredRecord,
  StreamRecord,
} from '../port.ts'
import type { GroupMember, GroupSession, KafkaDriver } from './driver.ts'
import { partitionForKey } from './murmur2.ts'
import { type BatcherSettings, ProducerBatcher } from './producer-batcher.ts'

export interface KafkaStreamOptions {
  driver: KafkaDriver
  /** Producer linger: how long an append waits for company before its request goes. Default 2 ms. */
  lingerMs?: number
  /** Cap per produce request in value bytes. Default 4 MiB (topics allow 8 MiB batches). */
  maxRequestBytes?: number
  /** Appends not acknowledged by then reject. Default 10 s. */
  appendTimeoutMs?: number
  /** How long a topic's partition count is trusted before it is looked up again. Default 30 s. */
  metadataMaxAgeMs?: number
  backoffInitialMs?: number
  backoffMaxMs?: number
  onError?: (err: unknown, context: { group: string; topic: string }) => void
}

const DEFAULTS = { maxRecords: 1000, maxBytes: 4 * 1024 * 1024, maxWaitMs: 100 }

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err))

/** Splits a fetched run into batches of at most maxRecords / maxBytes (at least one record each). */
function chunk(records: StoredRecord[], maxRecords: number, maxBytes: number): StoredRecord[][] {
  const chunks: StoredRecord[][] = []
  let current: StoredRecord[] = []
  let bytes = 0
  for (const record of records) {
    if (current.length > 0 && (current.length >= maxRecords || bytes + record.value.byteLength > maxBytes)) {
      chunks.push(current)
      current = []
      bytes = 0
    }
    current.push(record)
    bytes += record.value.byteLength
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

/**
 * The Kafka adapter of the stream port over any KafkaDriver: keyed records go to Kafka's
 * default (murmur2) partition, keyless ones round-robin; appends are group-committed into
 * idempotent acks=all produce requests; consumers deliver per-partition batches and commit
 * the next offset only after the handler resolved, retrying a failing batch in place.
 */
export function kafkaStream(options: KafkaStreamOptions): EventStream {
  const { driver } = options
  const batcherSettings: BatcherSettings = {
    lingerMs: options.lingerMs ?? 2,
    maxRequestBytes: options.maxRequestBytes ?? 4 * 1024 * 1024,
    timeoutMs: options.appendTimeoutMs ?? 10_000,
  }
  const metadataMaxAgeMs = options.metadataMaxAgeMs ?? 30_000
  const batchers = new Map<string, ProducerBatcher>()
  const partitionCounts = new Map<string, { count: Promise<number>; at: number }>()
  const consumers = new Set<Consumer>()
  let roundRobin = 0
  let closed = false

  function partitions(topic: string): Promise<number> {
    const cached = partitionCounts.get(topic)
    if (cached && Date.now() - cached.at < metadataMaxAgeMs) return cached.count
    const count = driver.partitionCount(topic)
    partitionCounts.set(topic, { count, at: Date.now() })
    count.catch(() => partitionCounts.delete(topic))
    return count
  }

  function consume(consumeOptions: ConsumeOptions, handler: BatchHandler): Consumer {
    if (closed) throw new Error('stream is closed')
    const { group, topic, prefetch } = consumeOptions
    const maxRecords = Math.max(1, consumeOptions.maxRecords ?? DEFAULTS.maxRecords)
    const maxBytes = Math.max(1, consumeOptions.maxBytes ?? DEFAULTS.maxBytes)
    const backoffInitialMs = options.backoffInitialMs ?? 100
    const backoffMaxMs = options.backoffMaxMs ?? 5000
    const report = (err: unknown) => options.onError?.(err, { group, topic })
    let stopping = false
    const sleepers = new Set<() => void>()
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer)
          sleepers.delete(wake)
          resolve()
        }
        const timer = setTimeout(wake, ms)
        sleepers.add(wake)
      })

    async function deliver(batch: RecordBatch, session: GroupSession): Promise<boolean> {
      for (let attempt = 0; ; attempt++) {
        if (stopping || session.revoked(batch.partition)) return false
        try {
          await handler(batch)
          return true
        } catch (err) {
          report(err)
        }
        if (stopping || session.revoked(batch.partition)) return false
        await sleep(Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(attempt, 30)))
        await session.heartbeat().catch(report)
      }
    }

    // Runs of records being handled; stop() waits for them so a finished batch still commits
    // before the client leaves the group (as the embedded consumer does).
    const inFlight = new Set<Promise<void>>()
    function onRecords(partition: number, records: StoredRecord[], session: GroupSession): Promise<void> {
      if (stopping) return Promise.resolve()
      const run = handleRun(partition, records, session)
      inFlight.add(run)
      return run.finally(() => inFlight.delete(run))
    }

    async function handleRun(partition: number, records: StoredRecord[], session: GroupSession) {
      const batches = chunk(records, maxRecords, maxBytes).map((r) => ({ topic, partition, records: r }))
      for (const [i, batch] of batches.entries()) {
        const next = batches[i + 1]
        if (prefetch && next) {
          try {
            prefetch(next)
          } catch (err) {
            report(err)
          }
        }
        // Not delivered (stopping, or the partition moved to another member): leave it
        // uncommitted, so whoever reads the partition next gets it again.
        if (stopping || !(await deliver(batch, session))) return
        try {
          await session.commit(partition, batch.records.at(-1)!.offset + 1)
        } catch (err) {
          // Uncommitted is safe (redelivered); the next successful commit covers this one.
          report(err)
          if (session.revoked(partition)) return
        }
      }
    }

    const backoff = (attempt: number) =>
      Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(Math.max(0, attempt), 30))

    // A join that fails (the broker is down while a writer starts) is retried with backoff
    // until it succeeds or the consumer stops: giving up would leave the group one member
    // short for good, with nobody reading its partitions. Each attempt gets its own `failed`
    // signal, so a failure reported by an attempt that then threw is not blamed on the next.
    async function joinUntilStopped(): Promise<
      { member: GroupMember; failed: Promise<unknown> } | undefined
    > {
      for (let attempt = 0; !stopping; attempt++) {
        let onFailed!: (err: unknown) => void
        const failed = new Promise<unknown>((resolve) => (onFailed = resolve))
        try {
          const member = await driver.join({
            group,
            topic,
            maxWaitMs: Math.max(0, consumeOptions.maxWaitMs ?? DEFAULTS.maxWaitMs),
            maxBytes: Math.max(maxBytes, 1024 * 1024),
            onRecords,
            onError: report,
            onFailed,
          })
          return { member, failed }
        } catch (err) {
          report(err)
          await sleep(backoff(attempt))
        }
      }
      return undefined
    }

    /** The member in the group now; stop() stops it. */
    let current: GroupMember | undefined
    let stopRequested!: () => void
    const stopSignal = new Promise<void>((resolve) => (stopRequested = resolve))

    /**
     * Keeps one member in the group until stop(). A member whose client gave up for good
     * (driver.ts, onFailed) would otherwise stay dead and its partitions unread, so it is
     * stopped (which waits for the batch in its handler) and a new member joins after a
     * backoff. The new one reads from the group's committed offsets: what the dead one
     * fetched but did not deliver, or delivered but could not commit, is handled again.
     */
    async function superviseUntilStopped(): Promise<void> {
      let failures = 0
      while (!stopping) {
        const joined = await joinUntilStopped()
        if (joined === undefined) return
        current = joined.member
        const joinedAt = Date.now()
        const failure = await Promise.race([
          joined.failed.then((err) => ({ err })),
          stopSignal.then(() => undefined),
        ])
        if (failure === undefined || stopping) return
        // A member that ran a good while before it failed starts the backoff over.
        failures = Date.now() - joinedAt > backoffMaxMs ? 0 : failures + 1
        const delay = backoff(failures - 1)
        report(
          new Error(
            `consumer of group ${group} on topic ${topic} failed for good (${messageOf(failure.err)}); ` +
              `a new member joins in ${delay} ms`,
            { cause: failure.err },
          ),
        )
        current = undefined
        await joined.member.stop().catch(report)
        await sleep(delay)
      }
    }
    const supervisor = superviseUntilStopped().catch(report)
    let stopped: Promise<void> | undefined
    const consumer: Consumer = {
      stop() {
        stopped ??= (async () => {
          stopping = true
          stopRequested()
          for (const wake of [...sleepers]) wake()
          await Promise.allSettled([...inFlight])
          // Lets a join in flight finish (its member becomes `current`) and a failed member's
          // stop end, so no member is left behind and none joins after this.
          await supervisor
          await current?.stop()
          consumers.delete(consumer)
        })()
        return stopped
      },
    }
    consumers.add(consumer)
    return consumer
  }

  return {
    async append(topic: string, records: StreamRecord[]) {
      if (closed) throw new Error('stream is closed')
      const count = await partitions(topic)
      // One call, one partition (the port's rule): the first record's key picks it.
      const key = records[0]?.key
      const partition = key === undefined ? roundRobin++ % count : partitionForKey(key, count)
      let batcher = batchers.get(topic)
      if (batcher === undefined) {
        batcher = new ProducerBatcher(driver, topic, batcherSettings)
        batchers.set(topic, batcher)
      }
      return batcher.append(partition, records)
    },

    consume,

    async lag(group: string, topic: string) {
      const [committed, range] = await Promise.all([
        driver.committedOffsets(group, topic),
        driver.offsetRange(topic),
      ])
      let lag = 0
      for (const [partition, { start, end }] of range) {
        lag += Math.max(0, end - Math.max(start, committed.get(partition) ?? start))
      }
      return lag
    },

    async close() {
      if (closed) return
      closed = true
      await Promise.all([...consumers].map((c) => c.stop()))
      await driver.close()
    },
  }
}
