// The bridge's spool: Kafka in front, the embedded segment log behind. While Kafka answers,
// appends go straight to it. When an append fails, the bridge starts spooling: this and every
// later append goes to the on-disk log (fsynced, so the 2xx still means durable), and a drainer
// replays the log into Kafka in order. Only once the log is empty and no spool append is in
// flight do appends go to Kafka directly again, so records of one key never overtake each other.
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type {
  AppendResult,
  BatchHandler,
  ConsumeOptions,
  Consumer,
  EventStream,
  RecordBatch,
  StreamRecord,
} from '@sightline/stream'

/** The spool holds `maxBytes` of undrained records; past that the bridge answers 503. */
export class SpoolFullError extends Error {
  constructor(readonly retryAfterS: number) {
    super('the spool is full: Kafka is unreachable and the local spool reached its bound')
  }
}

export type SpoolMode = 'direct' | 'spooling' | 'switching'

export interface SpoolStatus {
  mode: SpoolMode
  /** Undrained bytes (record values) in the spool. */
  bytes: number
  maxBytes: number
  /** The last spool append was refused for lack of room (cleared once the drainer frees some). */
  full: boolean
  /** Records still to drain (the drainer group's lag), -1 if unknown. */
  records: number
}

export interface SpoolingStreamOptions {
  primary: EventStream
  spool: EventStream
  /** The spool's directory (its size on disk seeds the byte count after a restart). */
  spoolDir: string
  /** Topics whose spooled records are drained (the bridge appends to one). */
  topics: readonly string[]
  maxBytes: number
  /** How long a direct append may take before the bridge spools it instead. */
  primaryTimeoutMs?: number
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void
}

const DRAIN_GROUP = 'spool-drain'

export interface SpoolingStream extends EventStream {
  status(): Promise<SpoolStatus>
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += await dirBytes(path)
    else if (entry.name.endsWith('.seg')) total += (await stat(path).catch(() => ({ size: 0 }))).size
  }
  return total
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Appends one drained batch to the primary: one append per key (in batch order), so each keeps its partition. */
async function forward(primary: EventStream, batch: RecordBatch): Promise<void> {
  const byKey = new Map<string | undefined, StreamRecord[]>()
  for (const r of batch.records) {
    const run = byKey.get(r.key) ?? []
    run.push(r.key === undefined ? { value: r.value } : { key: r.key, value: r.value })
    byKey.set(r.key, run)
  }
  await Promise.all([...byKey.values()].map((run) => primary.append(batch.topic, run)))
}

export async function spoolingStream(options: SpoolingStreamOptions): Promise<SpoolingStream> {
  const { primary, spool, log } = options
  const primaryTimeoutMs = options.primaryTimeoutMs ?? 3_000
  let bytes = await dirBytes(options.spoolDir)
  let mode: SpoolMode = 'direct'
  let inFlightSpoolAppends = 0
  let released: (() => void) | undefined
  let gate: Promise<void> | undefined
  let closed = false
  let full = false

  // Start in spooling mode when a previous run left records behind: they go first.
  const leftovers = await Promise.all(options.topics.map((t) => spool.lag(DRAIN_GROUP, t)))
  if (leftovers.some((n) => n > 0)) {
    mode = 'spooling'
    log?.('warn', 'spool has records from a previous run; draining them before direct appends', {
      records: leftovers.reduce((a, b) => a + b, 0),
    })
  } else bytes = 0

  function enterSpooling(err: unknown): void {
    if (mode === 'direct') log?.('warn', 'Kafka append failed; spooling to local disk', { err: String(err) })
    mode = 'spooling'
  }

  async function spoolAppend(topic: string, records: StreamRecord[]): Promise<AppendResult> {
    const size = records.reduce((n, r) => n + r.value.byteLength, 0)
    if (bytes + size > options.maxBytes) {
      full = true
      throw new SpoolFullError(5)
    }
    inFlightSpoolAppends += 1
    bytes += size
    try {
      return await spool.append(topic, records)
    } catch (err) {
      bytes -= size
      throw err
    } finally {
      inFlightSpoolAppends -= 1
    }
  }

  async function undrained(): Promise<number> {
    const lags = await Promise.all(options.topics.map((t) => spool.lag(DRAIN_GROUP, t)))
    return lags.reduce((a, b) => a + b, 0)
  }

  /** After each drained batch: when nothing is left, stop spooling (without letting an append overtake). */
  async function maybeSwitchBack(): Promise<void> {
    if (mode !== 'spooling' || (await undrained()) > 0) return
    mode = 'switching'
    gate = new Promise((resolve) => (released = resolve))
    try {
      while (inFlightSpoolAppends > 0) await new Promise((r) => setTimeout(r, 5))
      if ((await undrained()) === 0) {
        mode = 'direct'
        bytes = 0
        log?.('info', 'spool drained; appending to Kafka directly again')
      } else mode = 'spooling'
    } catch (err) {
      mode = 'spooling'
      throw err
    } finally {
      released?.()
      gate = undefined
    }
  }

  const drainers: Consumer[] = options.topics.map((topic) =>
    spool.consume({ group: DRAIN_GROUP, topic, maxRecords: 500, maxWaitMs: 20 }, async (batch) => {
      await forward(primary, batch)
      bytes = Math.max(0, bytes - batch.records.reduce((n, r) => n + r.value.byteLength, 0))
      full = false
    }),
  )
  // The drained batch is committed after its handler returns, so the switch back is checked
  // on a timer rather than from the handler.
  let checking = false
  const switchTimer = setInterval(() => {
    if (checking || mode !== 'spooling') return
    checking = true
    maybeSwitchBack()
      .catch(() => {})
      .finally(() => (checking = false))
  }, 100)
  switchTimer.unref()

  const stream: SpoolingStream = {
    async append(topic, records) {
      if (closed) throw new Error('stream is closed')
      while (gate) await gate
      if (mode === 'direct') {
        try {
          return await withTimeout(primary.append(topic, records), primaryTimeoutMs)
        } catch (err) {
          // A timed-out append may still land in Kafka later; spooling it too makes it a
          // duplicate at worst, which the writer's message_id dedup removes.
          enterSpooling(err)
        }
      }
      return spoolAppend(topic, records)
    },
    consume(consumeOptions: ConsumeOptions, handler: BatchHandler): Consumer {
      return primary.consume(consumeOptions, handler)
    },
    lag: (group, topic) => primary.lag(group, topic),
    async status() {
      return { mode, bytes, maxBytes: options.maxBytes, full, records: await undrained().catch(() => -1) }
    },
    async close() {
      closed = true
      clearInterval(switchTimer)
      await Promise.all(drainers.map((d) => d.stop()))
      await spool.close()
      await primary.close()
    },
  }
  return stream
}
