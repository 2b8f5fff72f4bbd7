import type { AppendResult, StreamRecord } from '../port.ts'
import type { KafkaDriver, OutgoingMessage } from './driver.ts'

export interface BatcherSettings {
  /** Wait this long after the first queued append before sending, to gather more. */
  lingerMs: number
  /** Cap per produce request (sum of value bytes); one call is never split. */
  maxRequestBytes: number
  /** An append that is not acknowledged within this long rejects (the caller answers 503). */
  timeoutMs: number
}

interface Pending {
  partition: number
  records: StreamRecord[]
  bytes: number
  resolve(result: AppendResult): void
  reject(err: unknown): void
}

/**
 * Group commit for one topic, as the segment log does with fsync: one produce request in
 * flight at a time (which keeps the idempotent producer's sequence order simple and lets the
 * broker's ack latency gather the next request), appends arriving meanwhile ride the next one.
 * Each call's records are contiguous in its partition, so `baseOffset` + index is exact.
 */
export class ProducerBatcher {
  private queue: Pending[] = []
  private inFlight = false
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly driver: KafkaDriver,
    private readonly topic: string,
    private readonly settings: BatcherSettings,
  ) {}

  append(partition: number, records: StreamRecord[]): Promise<AppendResult> {
    const bytes = records.reduce((sum, r) => sum + r.value.byteLength, 0)
    return new Promise<AppendResult>((resolve, reject) => {
      const timeout = setTimeout(
        () =>
          reject(
            new Error(`kafka append to ${this.topic} not acknowledged within ${this.settings.timeoutMs} ms`),
          ),
        this.settings.timeoutMs,
      )
      this.queue.push({
        partition,
        records,
        bytes,
        resolve: (r) => {
          clearTimeout(timeout)
          resolve(r)
        },
        reject: (e) => {
          clearTimeout(timeout)
          reject(e)
        },
      })
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.inFlight || this.timer !== undefined || this.queue.length === 0) return
    const queued = this.queue.reduce((sum, p) => sum + p.bytes, 0)
    if (this.settings.lingerMs <= 0 || queued >= this.settings.maxRequestBytes) {
      void this.flush()
      return
    }
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.flush()
    }, this.settings.lingerMs)
  }

  private take(): Pending[] {
    let bytes = 0
    let count = 0
    while (count < this.queue.length) {
      const next = this.queue[count]!
      if (count > 0 && bytes + next.bytes > this.settings.maxRequestBytes) break
      bytes += next.bytes
      count++
    }
    return this.queue.splice(0, count)
  }

  private async flush(): Promise<void> {
    if (this.inFlight) return
    this.inFlight = true
    const batch = this.take()
    const messages: OutgoingMessage[] = []
    // Offsets of each call relative to its partition's base in this request.
    const relative: number[] = []
    const perPartition = new Map<number, number>()
    for (const pending of batch) {
      const before = perPartition.get(pending.partition) ?? 0
      relative.push(before)
      perPartition.set(pending.partition, before + pending.records.length)
      for (const r of pending.records) {
        messages.push(
          r.key === undefined
            ? { partition: pending.partition, value: r.value }
            : { partition: pending.partition, key: r.key, value: r.value },
        )
      }
    }
    try {
      const bases =
        messages.length === 0 ? new Map<number, number>() : await this.driver.produce(this.topic, messages)
      batch.forEach((pending, i) => {
        const base = bases.get(pending.partition)
        if (base === undefined && pending.records.length > 0) {
          pending.reject(new Error(`broker returned no offset for ${this.topic}/${pending.partition}`))
        } else {
          pending.resolve({ partition: pending.partition, baseOffset: (base ?? 0) + relative[i]! })
        }
      })
    } catch (err) {
      for (const pending of batch) pending.reject(err)
    } finally {
      this.inFlight = false
      this.schedule()
    }
  }
}
