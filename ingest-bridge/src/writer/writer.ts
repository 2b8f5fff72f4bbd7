import { setImmediate as nextTurn } from 'node:timers/promises'
import type { EnrichedEvent } from '@sightline/contracts'
import { type DedupStore, recordSource } from '@sightline/state'
import type { BusyWait, Consumer, EventStream, RecordBatch } from '@sightline/stream'
import {
  applyIdentityLinks,
  type IngestStatsRow,
  insertIngestStats,
  insertRejected,
  type Rejection,
  toIngestStatsRows,
  type Warehouse,
} from '@sightline/warehouse'
import type { Counters } from '../metrics.ts'
import { type DecodedBatch, type EdgeRefusal, insertToken, type Poison, RecordDecoder } from './decode.ts'
import { refillDedupFromWarehouse } from './dedup-recovery.ts'
import { IngestTally } from './ingest-tally.ts'
import {
  appendPreparedRows,
  emptyPreparedRows,
  insertIsolatingPoison,
  insertRows,
  type PreparedRows,
  type Unloadable,
  warehouseAnswers,
} from './load-events.ts'

/** Failed attempts of the same batch before the writer looks for refused rows in it. */
const ISOLATE_AFTER_FAILURES = 3

/**
 * Events decoded or encoded between two turns of the event loop. A 40,000-event insert is
 * ~1 s of main-thread CPU on a slow core; done in one go it held back every HTTP answer of
 * the process (acks, queries) for that long. A slice is tens of milliseconds.
 */
const SLICE_EVENTS = 2_000
/**
 * Busy = edge batches arriving at 8 MiB/s or more (~6,000 events a second at ~1.3 KB per
 * enriched event): then the writer inserts about twice a second. A second's wait saved a
 * little more CPU but put freshness at 10k events/s over 2 s. Measured with
 * bench/front-door.ts and bench/freshness.ts (docs/performance.md).
 */
const DEFAULT_BUSY_WAIT: BusyWait = { bytesPerSec: 8 * 1024 * 1024, maxWaitMs: 500 }

export interface WriterDeps {
  stream: EventStream
  warehouse: Warehouse
  dedup: DedupStore
  counters: Counters
  topic: string
  group: string
  /** Stream records (edge batches, ≤500 events each) per insert. */
  maxRecords?: number
  /** Bytes of stream records per insert; big inserts mean fewer parts and merges in ClickHouse. */
  maxBytes?: number
  /** How long to wait for a fuller batch before inserting what is there. */
  maxWaitMs?: number
  /**
   * The longer wait while the stream is busy (see ConsumeOptions.busyWait). A quiet site's
   * events are inserted within maxWaitMs; under load two inserts a second instead of five
   * cut the hub's CPU per event by a fifth (fewer parts for ClickHouse to merge).
   */
  busyWait?: BusyWait
  dedupWindowMs?: number
  maxRecoveryKeys?: number
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void
  /** Called after each batch is loaded and committed (tests and live push hook in here). */
  onLoaded?: (info: { inserted: number; lastOffset: number }) => void
  /** Days each site's rows are kept (the site store's retention_days); default 395 for all. */
  retentionDays?: (siteId: string) => number
  /** The clock of commit times (ingest_stats minutes, canary lags); Date.now by default. */
  now?: () => number
}

interface Prepared {
  decoded: DecodedBatch
  rows: PreparedRows
}

export interface Writer {
  /** True once the dedup memory is loaded and the writer consumes; false again once stopping. */
  readonly ready: boolean
  /** Records appended to the stream that the writer has not committed yet. */
  lag(): Promise<number>
  stop(): Promise<void>
}

/**
 * Stream → ClickHouse. Per batch: decode, claim the ids in the dedup store (dropping those
 * loaded or claimed by another record), insert with a deterministic token, mark the ids
 * loaded, record what the batch did in `ingest_stats`, and only then return so the stream
 * commits. A throw leaves the offsets uncommitted and the stream redelivers the batch.
 */
export function startWriter(deps: WriterDeps): Writer {
  const windowMs = deps.dedupWindowMs ?? 24 * 3600 * 1000
  const now = deps.now ?? Date.now
  let knownEpoch: string | undefined
  // Consecutive failed attempts per batch (partition:first offset), to tell transient
  // failures from rows ClickHouse will never take.
  const failures = new Map<string, number>()
  deps.counters.describe('sightline_writer_events_total', 'Events by writer outcome')
  deps.counters.describe(
    'sightline_writer_identity_reassigned_total',
    'Ids moved to another person by identify/alias merges (person_overrides rows written)',
  )
  deps.counters.describe(
    'sightline_writer_identity_skipped_total',
    'Identity links not applied because a person already had the maximum number of ids',
  )
  deps.counters.describe(
    'sightline_writer_canaries_total',
    'Bridge canaries recorded in ingest_stats, by bridge',
  )

  let stopping = false
  let refilling: Promise<void> | undefined
  /** One refill at a time: the eager one at start and a batch arriving meanwhile share it. */
  function ensureDedupMemory(): Promise<void> {
    refilling ??= refillIfEpochChanged().finally(() => {
      refilling = undefined
    })
    return refilling
  }

  async function refillIfEpochChanged(): Promise<void> {
    const epoch = await deps.dedup.epoch()
    if (epoch === knownEpoch) return
    const started = Date.now()
    const result = await refillDedupFromWarehouse(deps.warehouse, deps.dedup, {
      windowMs,
      maxKeys: deps.maxRecoveryKeys ?? 5_000_000,
    })
    knownEpoch = epoch
    deps.log?.(result.truncated ? 'warn' : 'info', 'dedup memory refilled from the warehouse', {
      loaded: result.loaded,
      truncated: result.truncated,
      ms: Date.now() - started,
    })
  }

  /**
   * Dead letters into `rejected`. `ids` name the refused items (not the insert), so a
   * redelivered batch does not store the same refusal twice.
   */
  async function deadLetter(rejections: Rejection[], ids: string[]): Promise<void> {
    await insertRejected(deps.warehouse, rejections, await insertToken(ids))
  }

  /** Stream records that are not an edge batch at all. */
  async function writePoison(poison: Poison[], tally: IngestTally): Promise<void> {
    await deadLetter(
      poison.map((p) => ({
        site_id: '',
        received_at: new Date(),
        stage: 'writer',
        code: 'invalid_request',
        message: `stream record ${p.partition}:${p.offset}: ${p.reason}`,
        payload: p.raw,
      })),
      poison.map((p) => `${p.partition}:${p.offset}`),
    )
    deps.counters.inc('sightline_writer_events_total', { outcome: 'poison' }, poison.length)
    // No site to charge: such a record may not even be from an edge.
    tally.refused('', 'writer', 'invalid_request', poison.length)
  }

  /** Edge refusals: counted per site and reason, and kept with their payload. */
  async function writeRefusals(refusals: EdgeRefusal[], tally: IngestTally): Promise<void> {
    await deadLetter(
      refusals.map((r) => ({
        site_id: r.siteId,
        received_at: r.receivedAt,
        stage: 'edge',
        code: r.code,
        message: r.message,
        message_id: r.messageId,
        ingest_path: (r.ingestPath || '') as Rejection['ingest_path'],
        payload: r.raw,
      })),
      refusals.map((r) => r.id),
    )
    for (const r of refusals) {
      deps.counters.inc('sightline_rejected_events_total', { site: r.siteId, stage: 'edge', code: r.code })
      tally.refused(r.siteId, 'edge', r.code)
    }
  }

  /** Rows the warehouse or the row mapping refused: kept in `rejected` with the reason. */
  async function writeRefusedEvents(
    refused: Array<{ event: EnrichedEvent; key: string; reason: string }>,
    tally: IngestTally,
  ) {
    await deadLetter(
      refused.map(({ event, reason }) => ({
        site_id: String(event.site_id ?? ''),
        received_at: new Date(),
        stage: 'writer',
        code: 'invalid_event',
        message: `not loadable: ${reason}`,
        message_id: String(event.message_id ?? ''),
        payload: event,
      })),
      refused.map((r) => `refused:${r.key}`),
    )
    deps.counters.inc('sightline_writer_events_total', { outcome: 'refused' }, refused.length)
    for (const { event } of refused) tally.refused(String(event.site_id ?? ''), 'writer', 'invalid_event')
  }

  /**
   * Insert; when ClickHouse keeps refusing the batch (not on the first failure: most are
   * transient) while it still answers queries, split the batch to isolate the refused rows,
   * load the rest and dead-letter only those. Returns how many events are now loaded; the
   * tally gets them by site.
   */
  async function loadEvents(
    batch: RecordBatch,
    decoded: DecodedBatch,
    prepared: PreparedRows,
    unloadable: Unloadable[],
    tally: IngestTally,
  ): Promise<number> {
    if (unloadable.length > 0) await writeRefusedEvents(unloadable, tally)
    if (prepared.rows.length === 0) return 0
    const batchId = `${batch.partition}:${batch.records[0]?.offset ?? -1}`
    try {
      await insertRows(deps.warehouse, prepared.rows, prepared.keys)
      failures.delete(batchId)
      await deps.dedup.remember(prepared.keys)
      for (const row of prepared.rows) tally.inserted(row.site_id ?? '')
      return prepared.rows.length
    } catch (err) {
      const count = (failures.get(batchId) ?? 0) + 1
      failures.set(batchId, count)
      if (count < ISOLATE_AFTER_FAILURES || !(await warehouseAnswers(deps.warehouse))) throw err
      const isolated = await insertIsolatingPoison(deps.warehouse, prepared.rows, prepared.keys)
      await deps.dedup.remember(isolated.loadedKeys)
      // Every row failing alone is not the rows' fault; an exhausted budget resumes on redelivery.
      if (isolated.loadedKeys.length === 0 || isolated.gaveUp) throw err
      const eventByKey = new Map(decoded.keys.map((k, i) => [k, decoded.events[i]!]))
      const refused = isolated.refused.map((r) => ({
        event: eventByKey.get(r.key)!,
        key: r.key,
        reason: r.reason,
      }))
      deps.log?.('warn', 'warehouse refused rows; dead-lettered them and loaded the rest', {
        refused: refused.length,
        loaded: isolated.loadedKeys.length,
      })
      await writeRefusedEvents(refused, tally)
      const loadedKeys = new Set(isolated.loadedKeys)
      prepared.rows.forEach((row, i) => {
        if (loadedKeys.has(prepared.keys[i]!)) tally.inserted(row.site_id ?? '')
      })
      failures.delete(batchId)
      return isolated.loadedKeys.length
    }
  }

  // Decoded and encoded batches, by batch object: the stream hands the read-ahead batch to
  // `prefetch` while the previous insert runs, then the very same object to the handler
  // (also on a retry). Weak, so a batch dropped by a stopping consumer is not kept alive.
  const preparedBatches = new WeakMap<RecordBatch, Promise<Prepared>>()
  // The ingest_stats rows of a batch whose loads committed, kept for a retry of the same batch
  // (its stats insert failed): by then its events are known to the dedup store, and counting
  // them again would call them duplicates.
  const statsOf = new WeakMap<RecordBatch, IngestStatsRow[]>()

  /** Pure CPU work, independent of the dedup memory (filtered later): safe to do ahead. */
  function prepare(batch: RecordBatch): Promise<Prepared> {
    let prepared = preparedBatches.get(batch)
    if (prepared === undefined) {
      prepared = prepareInSlices(batch)
      // A failed preparation is not kept: the redelivered batch tries again.
      prepared.catch(() => preparedBatches.delete(batch))
      preparedBatches.set(batch, prepared)
    }
    return prepared
  }

  async function prepareInSlices(batch: RecordBatch): Promise<Prepared> {
    const decoding = new RecordDecoder()
    let sliced = 0
    for (const record of batch.records) {
      sliced += decoding.add(record)
      if (sliced >= SLICE_EVENTS) {
        sliced = 0
        await nextTurn()
      }
    }
    const decoded = decoding.result()
    const rows = emptyPreparedRows()
    for (let from = 0; from < decoded.events.length; from += SLICE_EVENTS) {
      if (from > 0) await nextTurn()
      appendPreparedRows(
        rows,
        decoded.events,
        decoded.keys,
        { from, to: from + SLICE_EVENTS },
        deps.retentionDays,
      )
    }
    return { decoded, rows }
  }

  async function handle(batch: RecordBatch): Promise<void> {
    await ensureDedupMemory()
    const { decoded, rows } = await prepare(batch)
    // The claim names each key's record, so a redelivery of the same record after a crash
    // between claim and insert still loads it while a copy from another record is dropped.
    const unseen = await deps.dedup.claim(
      decoded.keys.map((key, i) => ({
        key,
        source: recordSource(deps.topic, batch.partition, decoded.offsets[i]!),
      })),
    )
    const tally = new IngestTally()
    decoded.keys.forEach((key, i) => {
      if (!unseen.has(key)) tally.duplicate(decoded.events[i]!.site_id)
    })
    for (const [siteId, n] of decoded.duplicatesInBatch) tally.duplicate(siteId, n)
    const fresh = emptyPreparedRows()
    rows.keys.forEach((key, i) => {
      if (!unseen.has(key)) return
      fresh.rows.push(rows.rows[i]!)
      fresh.keys.push(key)
    })
    const unloadable = rows.unloadable.filter((u) => unseen.has(u.key))
    const freshCount = fresh.keys.length + unloadable.length
    const loaded = freshCount > 0 ? await loadEvents(batch, decoded, fresh, unloadable, tally) : 0
    // The batch's events are queryable from here: the instant its canaries arrived.
    const committedAt = now()
    // Identity links (identify, alias) of every event in the batch, duplicates included: a
    // crash after the rows were loaded but before the links were recorded redelivers the batch
    // with its rows already known to the dedup store, and the links must still be recorded.
    // Applying links twice writes nothing, so this costs one lookup per batch that has any.
    const identity = await applyIdentityLinks(deps.warehouse, decoded.events)
    if (identity.reassigned > 0)
      deps.counters.inc('sightline_writer_identity_reassigned_total', {}, identity.reassigned)
    if (identity.skipped > 0) {
      deps.counters.inc('sightline_writer_identity_skipped_total', {}, identity.skipped)
      deps.log?.('warn', 'identity links into an oversized person skipped (a shared or bogus user id?)', {
        skipped: identity.skipped,
      })
    }
    if (decoded.poison.length > 0) await writePoison(decoded.poison, tally)
    if (decoded.refusals.length > 0) await writeRefusals(decoded.refusals, tally)
    for (const { canary } of decoded.canaries) {
      if (canary) tally.canary(canary)
      // Only a bridge makes canaries (the receiver refuses them from outside): a version skew.
      else tally.refused('', 'writer', 'invalid_canary')
    }
    await recordStats(batch, tally, committedAt)
    const duplicates = tally.duplicates()
    deps.counters.inc('sightline_writer_events_total', { outcome: 'inserted' }, loaded)
    if (duplicates > 0)
      deps.counters.inc('sightline_writer_events_total', { outcome: 'duplicate' }, duplicates)
    for (const { canary } of decoded.canaries)
      if (canary) deps.counters.inc('sightline_writer_canaries_total', { bridge: canary.bridgeId })
    deps.onLoaded?.({ inserted: loaded, lastOffset: batch.records.at(-1)?.offset ?? -1 })
  }

  /**
   * The batch's counts into ingest_stats, after its loads and before its offsets commit. The
   * token names the batch (topic, partition, offsets), so a retry whose first stats insert
   * did land is dropped by ClickHouse.
   */
  async function recordStats(batch: RecordBatch, tally: IngestTally, committedAt: number): Promise<void> {
    let rows = statsOf.get(batch)
    if (rows === undefined) {
      rows = toIngestStatsRows(tally.counts(committedAt), committedAt)
      statsOf.set(batch, rows)
    }
    const first = batch.records[0]?.offset ?? -1
    const last = batch.records.at(-1)?.offset ?? -1
    await insertIngestStats(
      deps.warehouse,
      rows,
      await insertToken(['ingest_stats', deps.topic, String(batch.partition), String(first), String(last)]),
    )
  }

  const consumer: Consumer = deps.stream.consume(
    {
      group: deps.group,
      topic: deps.topic,
      maxRecords: deps.maxRecords ?? 2000,
      maxBytes: deps.maxBytes ?? 48 * 1024 * 1024,
      maxWaitMs: deps.maxWaitMs ?? 200,
      busyWait: deps.busyWait ?? DEFAULT_BUSY_WAIT,
      // Decode and encode batch n+1 while batch n is inside the engine (chdb inserts off the
      // main thread); commits still follow inserts in order.
      prefetch: (batch) => {
        // Awaited by the handler; a failure surfaces there.
        prepare(batch).catch(() => {})
      },
    },
    async (batch) => {
      try {
        await handle(batch)
      } catch (err) {
        deps.log?.('error', 'writer batch failed; it will be redelivered', { err: String(err) })
        deps.counters.inc('sightline_writer_batches_failed_total')
        throw err
      }
    },
  )

  // Eagerly, so readiness does not wait for the first event; a failure is retried by the first batch.
  ensureDedupMemory().catch((err) =>
    deps.log?.('warn', 'dedup memory refill failed; retried with the first batch', { err: String(err) }),
  )

  return {
    get ready() {
      return knownEpoch !== undefined && !stopping
    },
    lag: () => deps.stream.lag(deps.group, deps.topic),
    stop: () => {
      stopping = true
      return consumer.stop()
    },
  }
}
