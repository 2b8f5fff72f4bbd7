import type { FileHandle } from 'node:fs/promises'
import { open } from 'node:fs/promises'
import type { Segment } from './partition-log.ts'
import type { BatchHandler, BusyWait, Consumer, RecordBatch, StoredRecord } from './port.ts'
import { readFrames, seekPosition } from './segment-file.ts'
import type { TopicLog } from './topic-log.ts'

export interface ConsumerSettings {
  group: string
  maxRecords: number
  maxBytes: number
  maxWaitMs: number
  /** See ConsumeOptions.busyWait; undefined always waits maxWaitMs. */
  busyWait?: BusyWait | undefined
  /** See ConsumeOptions.prefetch; undefined keeps the strictly serial read → handle → commit. */
  prefetch?: ((batch: RecordBatch) => void) | undefined
  backoffInitialMs: number
  backoffMaxMs: number
  /** Failures the loop retries on its own (handler throws, read or commit errors); for logging. */
  onError: (err: unknown) => void
  /** Called once the loop has exited, to free the group/topic slot. */
  onExit: () => void
}

interface Cursor {
  offset: number
  segment: Segment
  position: number
  reader: FileHandle
}

/** A latch for "something was appended": a notify with nobody waiting is remembered, never lost. */
class Wakeup {
  private signalled = false
  private release: (() => void) | undefined

  notify(): void {
    if (this.release) this.release()
    else this.signalled = true
  }

  wait(ms?: number): Promise<void> {
    if (this.signalled) {
      this.signalled = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.release?.(), ms)
      this.release = () => {
        clearTimeout(timer)
        this.release = undefined
        resolve()
      }
    })
  }
}

/**
 * The consume loop for one group on one topic: read a batch from the cursor, hand it over,
 * commit after the handler resolves, and on a throw hand the very same batch over again after
 * an exponential backoff. Batches come from one partition at a time, round-robin.
 */
export class SegmentConsumer implements Consumer {
  private stopping = false
  private readonly stopWake = new Wakeup()
  private readonly dataWake = new Wakeup()
  private readonly cursors: Cursor[] = []
  private nextPartition = 0
  /** When the last batch was read, and the bytes per second since the one before (busyWait). */
  private lastReadAt: number | undefined
  private arrivalBytesPerSec = 0
  private readonly done: Promise<void>

  constructor(
    topic: Promise<TopicLog>,
    private readonly handler: BatchHandler,
    private readonly settings: ConsumerSettings,
  ) {
    this.done = this.run(topic)
  }

  stop(): Promise<void> {
    this.stopping = true
    this.stopWake.notify()
    this.dataWake.notify()
    return this.done
  }

  private async run(topicReady: Promise<TopicLog>): Promise<void> {
    let unsubscribe: (() => void) | undefined
    try {
      const topic = await topicReady
      unsubscribe = topic.subscribe(() => this.dataWake.notify())
      const committed = await topic.join(this.settings.group)
      for (const [p, log] of topic.partitions.entries()) {
        const segment = log.segmentFor(committed[p]!)
        const reader = await open(segment.path, 'r')
        this.cursors.push({ offset: committed[p]!, segment, reader, position: 0 })
        this.cursors[p]!.position = await seekPosition(
          reader,
          segment.baseOffset,
          segment.size,
          committed[p]!,
        )
      }
      await this.loop(topic)
    } catch (err) {
      this.settings.onError(err)
    } finally {
      unsubscribe?.()
      await Promise.allSettled(this.cursors.map((c) => c.reader.close()))
      this.settings.onExit()
    }
  }

  private async loop(topic: TopicLog): Promise<void> {
    let failures = 0
    // At most one batch read ahead (prefetch mode): its cursor moved, but it is committed only
    // after its own handler resolved, so a stop or crash before that simply redelivers it.
    let ahead: Promise<RecordBatch | undefined> | undefined
    try {
      while (!this.stopping) {
        let batch: RecordBatch | undefined
        try {
          batch = await (ahead ?? this.nextBatch(topic))
        } catch (err) {
          ahead = undefined
          this.settings.onError(err)
          await this.backoff(failures++)
          continue
        }
        ahead = undefined
        if (batch === undefined) return
        if (this.settings.prefetch) ahead = this.readAhead(topic)
        if (!(await this.deliver(batch))) return
        const next = batch.records.at(-1)!.offset + 1
        for (let attempt = 0; ; attempt++) {
          try {
            await topic.commit(this.settings.group, batch.partition, next)
            break
          } catch (err) {
            // Uncommitted is safe (redelivered after a restart); keep trying while running.
            this.settings.onError(err)
            if (this.stopping) return
            await this.backoff(attempt)
          }
        }
        failures = 0
      }
    } finally {
      // The readers are closed after the loop: a read still in flight must finish first.
      await ahead?.catch(() => undefined)
    }
  }

  /** Reads the next batch now and hands it to the prefetch hook; errors surface when awaited. */
  private readAhead(topic: TopicLog): Promise<RecordBatch | undefined> {
    const promise = this.nextBatch(topic).then((batch) => {
      if (batch !== undefined) {
        try {
          this.settings.prefetch?.(batch)
        } catch (err) {
          this.settings.onError(err)
        }
      }
      return batch
    })
    // Awaited later (after the current handler); until then a rejection must not count as unhandled.
    promise.catch(() => undefined)
    return promise
  }

  private async deliver(batch: RecordBatch): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.handler(batch)
        return true
      } catch (err) {
        this.settings.onError(err)
      }
      if (this.stopping) return false
      await this.backoff(attempt)
      if (this.stopping) return false
    }
  }

  private backoff(attempt: number): Promise<void> {
    const { backoffInitialMs, backoffMaxMs } = this.settings
    return this.stopWake.wait(Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(attempt, 30)))
  }

  /**
   * Waits until a partition has maxRecords/maxBytes ready, or the wait (maxWaitMs, or the
   * busy one while records arrive fast) after data first showed up.
   */
  private async nextBatch(topic: TopicLog): Promise<RecordBatch | undefined> {
    const { maxRecords, maxBytes, busyWait } = this.settings
    const maxWaitMs =
      busyWait && this.arrivalBytesPerSec >= busyWait.bytesPerSec
        ? busyWait.maxWaitMs
        : this.settings.maxWaitMs
    let deadline: number | undefined
    while (!this.stopping) {
      const ready = this.readiest(topic)
      if (ready === undefined) {
        await this.dataWake.wait()
        continue
      }
      deadline ??= Date.now() + maxWaitMs
      const remaining = deadline - Date.now()
      if (ready.records >= maxRecords || ready.bytes >= maxBytes || remaining <= 0) {
        this.nextPartition = (ready.partition + 1) % topic.partitions.length
        const batch = await this.read(topic, ready.partition)
        this.observeArrival(batch)
        return batch
      }
      await this.dataWake.wait(remaining)
    }
    return undefined
  }

  /** Bytes since the previous batch over the time since it: the rate busyWait compares. */
  private observeArrival(batch: RecordBatch): void {
    const now = Date.now()
    if (this.lastReadAt !== undefined) {
      let bytes = 0
      for (const r of batch.records) bytes += r.value.byteLength
      this.arrivalBytesPerSec = (bytes * 1000) / Math.max(1, now - this.lastReadAt)
    }
    this.lastReadAt = now
  }

  private readiest(topic: TopicLog): { partition: number; records: number; bytes: number } | undefined {
    const count = topic.partitions.length
    for (let i = 0; i < count; i++) {
      const partition = (this.nextPartition + i) % count
      const log = topic.partitions[partition]!
      const cursor = this.cursors[partition]!
      const records = log.endOffset - cursor.offset
      if (records > 0) return { partition, records, bytes: log.bytesAfter(cursor.segment, cursor.position) }
    }
    return undefined
  }

  private async read(topic: TopicLog, partition: number): Promise<RecordBatch> {
    const log = topic.partitions[partition]!
    const cursor = this.cursors[partition]!
    if (cursor.offset >= log.extentOf(cursor.segment).endOffset) {
      // Finished a sealed segment: its successor starts exactly at our offset.
      const segment = log.segmentFor(cursor.offset)
      const reader = await open(segment.path, 'r')
      await cursor.reader.close()
      Object.assign(cursor, { segment, reader, position: 0 })
    }
    const extent = log.extentOf(cursor.segment)
    const { records, position } = await readFrames(
      cursor.reader,
      cursor.position,
      extent.size,
      cursor.offset,
      this.settings.maxRecords,
      this.settings.maxBytes,
    )
    if (records.length === 0) throw new Error(`no records readable at offset ${cursor.offset}`)
    cursor.position = position
    cursor.offset += records.length
    const stored = records.map(
      (r): StoredRecord =>
        r.key === undefined
          ? { partition, offset: r.offset, value: r.value }
          : { partition, offset: r.offset, key: r.key, value: r.value },
    )
    return { topic: topic.name, partition, records: stored }
  }
}
