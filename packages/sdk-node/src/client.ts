// The server SDK: typed calls into a bounded queue, sent in batches, one request at a time,
// with retries that back off and honour Retry-After. Nothing is dropped silently: every drop
// is counted by reason in stats() and reported to onDrop.
import {
  type AliasMessage,
  type GroupMessage,
  type IdentifyMessage,
  type PageMessage,
  type TrackMessage,
  toWireEvent,
  type WireEvent,
} from './messages.ts'
import { backoffMs } from './retry.ts'
import { postBatch, type Rejection, type TransportOptions } from './transport.ts'

export const SDK_NAME = 'sightline-node'
export const SDK_VERSION = '0.1.0'

export interface SightlineOptions {
  writeKey: string
  /** The edge, e.g. `https://edge.example` (events go to `<host>/v1/batch`). */
  host: string
  /** Send when this many events are queued (default 20)… */
  flushAt?: number
  /** …or this long after the first was queued (default 1000 ms). */
  flushIntervalMs?: number
  /** Events per request (default 100; the edge takes up to 500 and 500 KB). */
  maxBatchSize?: number
  /** Events held at most; further calls are dropped and counted (default 10,000). */
  maxQueueSize?: number
  /** Attempts after the first (default 8). */
  maxRetries?: number
  /** Backoff base and cap (defaults 500 ms and 30 s). */
  retryBaseMs?: number
  retryMaxMs?: number
  /** Gzip request bodies (default true). */
  gzip?: boolean
  /** Per request (default 10 s). */
  timeoutMs?: number
  fetch?: typeof fetch
  onDrop?: (drop: DropReport) => void
}

export type DropReason = 'queue_full' | 'rejected' | 'retries_exhausted' | 'shutdown' | 'invalid'

export interface DropReport {
  reason: DropReason
  events: WireEvent[]
  /** The edge's error code and message, when it refused them. */
  code?: string
  message?: string
}

export interface SightlineStats {
  queued: number
  sent: number
  retries: number
  dropped: Record<DropReason, number>
}

/** Under the edge's 500 KB body limit with room for the envelope. */
const MAX_BATCH_BYTES = 450_000

export class Sightline {
  private readonly o: Required<Omit<SightlineOptions, 'onDrop'>> & Pick<SightlineOptions, 'onDrop'>
  private readonly transport: TransportOptions
  private queue: { event: WireEvent; bytes: number }[] = []
  private timer: ReturnType<typeof setTimeout> | undefined
  private draining: Promise<void> | undefined
  private closed = false
  /** Aborted when shutdown's deadline passes: ends the request or backoff in progress. */
  private readonly stop = new AbortController()
  private readonly counts: SightlineStats = {
    queued: 0,
    sent: 0,
    retries: 0,
    dropped: { queue_full: 0, rejected: 0, retries_exhausted: 0, shutdown: 0, invalid: 0 },
  }

  constructor(options: SightlineOptions) {
    this.o = {
      flushAt: 20,
      flushIntervalMs: 1000,
      maxBatchSize: 100,
      maxQueueSize: 10_000,
      maxRetries: 8,
      retryBaseMs: 500,
      retryMaxMs: 30_000,
      gzip: true,
      timeoutMs: 10_000,
      fetch: globalThis.fetch.bind(globalThis),
      ...options,
    }
    this.o.maxBatchSize = Math.min(500, Math.max(1, this.o.maxBatchSize))
    this.transport = {
      url: `${this.o.host.replace(/\/+$/, '')}/v1/batch`,
      writeKey: this.o.writeKey,
      gzip: this.o.gzip,
      timeoutMs: this.o.timeoutMs,
      fetch: this.o.fetch,
      library: { name: SDK_NAME, version: SDK_VERSION },
    }
  }

  track(m: TrackMessage): void {
    this.enqueue(toWireEvent('track', m, newId))
  }
  page(m: PageMessage): void {
    this.enqueue(toWireEvent('page', m, newId))
  }
  identify(m: IdentifyMessage): void {
    this.enqueue(toWireEvent('identify', m, newId))
  }
  alias(m: AliasMessage): void {
    this.enqueue(toWireEvent('alias', m, newId))
  }
  group(m: GroupMessage): void {
    this.enqueue(toWireEvent('group', m, newId))
  }

  stats(): SightlineStats {
    return { ...this.counts, queued: this.queue.length, dropped: { ...this.counts.dropped } }
  }

  /** Sends everything queued; resolves once each event was delivered or dropped (never rejects). */
  flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined
    })
    return this.draining
  }

  /**
   * Stops taking events, sends what is queued (retries included) and resolves; after
   * `timeoutMs` whatever is still unsent is counted as dropped (`shutdown`) and it resolves anyway.
   */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    this.closed = true
    let timeout: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<'expired'>((resolve) => {
      timeout = setTimeout(() => resolve('expired'), timeoutMs)
    })
    const result = await Promise.race([this.flush(), expired])
    clearTimeout(timeout)
    if (result === 'expired') {
      // Stop the request or backoff in progress (its batch is reported as dropped), then the rest.
      this.stop.abort()
      await this.draining
      const events = this.queue.splice(0).map((q) => q.event)
      if (events.length) this.report({ reason: 'shutdown', events })
    }
  }

  private enqueue(event: WireEvent): void {
    const refused = this.refusal(event)
    if (refused) {
      this.report(refused)
      return
    }
    this.queue.push({ event, bytes: JSON.stringify(event).length })
    if (this.queue.length >= this.o.flushAt) void this.flush()
    else this.timer ??= setTimeout(() => void this.flush(), this.o.flushIntervalMs)
  }

  private refusal(event: WireEvent): DropReport | undefined {
    if (this.closed) return { reason: 'shutdown', events: [event] }
    if (!event.anonymous_id && !event.user_id) {
      return { reason: 'invalid', events: [event], message: 'needs userId or anonymousId' }
    }
    if (this.queue.length >= this.o.maxQueueSize) return { reason: 'queue_full', events: [event] }
    return undefined
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      let bytes = 0
      let n = 0
      while (n < this.queue.length && n < this.o.maxBatchSize) {
        bytes += this.queue[n]!.bytes
        if (n > 0 && bytes > MAX_BATCH_BYTES) break
        n++
      }
      await this.deliver(this.queue.splice(0, n).map((q) => q.event))
    }
  }

  private async deliver(batch: WireEvent[]): Promise<void> {
    const drop = await this.attempt(batch)
    if (drop) this.report(drop)
  }

  /** Posts until the edge takes the batch; answers what to drop when it never will. */
  private async attempt(batch: WireEvent[]): Promise<DropReport | undefined> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await postBatch(batch, this.transport, this.stop.signal)
      if ('ok' in outcome) {
        this.counts.sent += batch.length - outcome.rejected.length
        for (const r of outcome.rejected) this.reportRejection(batch, r)
        return undefined
      }
      if ('drop' in outcome) {
        return { reason: 'rejected', events: batch, code: outcome.code, message: outcome.message }
      }
      if (this.stop.signal.aborted) return { reason: 'shutdown', events: batch }
      if (attempt >= this.o.maxRetries) {
        return {
          reason: 'retries_exhausted',
          events: batch,
          message: `last answer ${outcome.status || outcome.error}`,
        }
      }
      this.counts.retries++
      const wait = backoffMs(attempt, {
        baseMs: this.o.retryBaseMs,
        maxMs: this.o.retryMaxMs,
        retryAfterMs: outcome.retryAfterMs,
      })
      await sleep(wait, this.stop.signal)
    }
  }

  private reportRejection(batch: WireEvent[], r: Rejection): void {
    const event = batch[r.index]
    this.report({ reason: 'rejected', events: event ? [event] : [], code: r.code, message: r.message })
  }

  private report(drop: DropReport): void {
    this.counts.dropped[drop.reason] += Math.max(1, drop.events.length)
    try {
      this.o.onDrop?.(drop)
    } catch {
      // A throwing callback must not break delivery of everything else.
    }
  }
}

const newId = () => crypto.randomUUID()

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
}
