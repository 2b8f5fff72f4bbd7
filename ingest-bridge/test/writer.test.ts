import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CANARY_SITE, canaryBatch } from '@sightline/contracts'
import { memoryDedup } from '@sightline/state'
import { type EventStream, segmentLogStream } from '@sightline/stream'
import { eventually } from '@sightline/testing'
import { sqlExec, sqlRows } from '@sightline/testing/sql'
import { migrate, openWarehouse, type Warehouse } from '@sightline/warehouse'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Counters, startWriter, type Writer } from '../src/index.ts'
import { edgeBatch, edgeEvent } from './edge-batches.ts'

// One chdb engine per process: one data path for this file, one database per test.
const root = mkdtempSync(join(tmpdir(), 'writer-'))
let warehouse: Warehouse
let stream: EventStream
let counters: Counters
const topic = 'events.v1'
const writers: Writer[] = []

beforeAll(async () => {
  warehouse = await openWarehouse({ mode: 'embedded', path: join(root, 'chdb'), database: 'writer_test' })
})
afterAll(async () => {
  for (const w of writers) await w.stop()
  await warehouse.close()
  rmSync(root, { recursive: true, force: true })
})

let testNo = 0
beforeEach(async () => {
  testNo += 1
  const db = `writer_${testNo}_${process.pid}`
  await sqlExec(warehouse, `DROP DATABASE IF EXISTS ${db}`)
  await sqlExec(warehouse, `CREATE DATABASE ${db}`)
  warehouse = await openWarehouse({ mode: 'embedded', path: join(root, 'chdb'), database: db })
  await migrate(warehouse)
  stream = segmentLogStream({ dir: mkdtempSync(join(root, 'stream-')) })
  counters = new Counters()
})

function writer(group = 'writer', dedup = memoryDedup()): Writer {
  const w = startWriter({ stream, warehouse, dedup, counters, topic, group, maxWaitMs: 20 })
  writers.push(w)
  return w
}

const encode = (value: unknown) =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value))
const countEvents = async () =>
  Number((await sqlRows<{ c: string }>(warehouse, 'SELECT count() AS c FROM events'))[0]?.c)

describe('writer', () => {
  it('loads appended edge batches into events, each message_id once', async () => {
    await stream.append(topic, [{ value: encode(edgeBatch(['a', 'b', 'c'])) }])
    // The same events again (a client retry) plus one new one, and a duplicate inside a batch.
    await stream.append(topic, [{ value: encode(edgeBatch(['a', 'b', 'd', 'd'])) }])
    const w = writer()
    expect(await eventually(countEvents, (n) => n >= 4)).toBe(4)
    await w.stop()
    const ids = await sqlRows<{ message_id: string }>(
      warehouse,
      'SELECT message_id FROM events ORDER BY message_id',
    )
    expect(ids.map((r) => r.message_id)).toEqual(['a', 'b', 'c', 'd'])
    expect(counters.get('sightline_writer_events_total', { outcome: 'duplicate' })).toBe(3)
    expect(await stream.lag('writer', topic)).toBe(0)
  })

  it('loads a batch larger than one preparation slice whole, with duplicates across slices dropped', async () => {
    // 12 records × 500 events = 6,000 events: three slices of the writer's decode and encode,
    // each record repeating two ids of the first record, so in-batch duplicates cross slices.
    const records = Array.from({ length: 12 }, (_, r) => ({
      value: encode(edgeBatch([...Array.from({ length: 498 }, (_, i) => `m${r}-${i}`), 'm0-0', 'm0-1'])),
    }))
    await stream.append(topic, records)
    const w = writer()
    expect(await eventually(countEvents, (n) => n >= 12 * 498)).toBe(12 * 498)
    await w.stop()
    expect(counters.get('sightline_writer_events_total', { outcome: 'inserted' })).toBe(12 * 498)
    // Record 0 holds m0-0 and m0-1 twice itself; every other record repeats them once.
    expect(counters.get('sightline_writer_events_total', { outcome: 'duplicate' })).toBe(24)
    expect(await stream.lag('writer', topic)).toBe(0)
  })

  it('after losing its dedup memory (restart), refills it from ClickHouse and loads nothing twice', async () => {
    await stream.append(topic, [
      { value: encode(edgeBatch(['a', 'b'])) },
      { value: encode(edgeBatch(['c'])) },
    ])
    const first = writer('first')
    await eventually(countEvents, (n) => n >= 3)
    await first.stop()
    // A second group replays the whole topic from offset 0 with an empty memory: exactly
    // what a crash between insert and commit looks like, for every batch at once.
    const second = writer('second', memoryDedup())
    await eventually(
      () => stream.lag('second', topic),
      (lag) => lag === 0,
    )
    await second.stop()
    expect(await countEvents()).toBe(3)
  })

  it('keeps a batch uncommitted while ClickHouse refuses it, then loads it', async () => {
    await sqlExec(warehouse, 'RENAME TABLE events TO events_away')
    await stream.append(topic, [{ value: encode(edgeBatch(['x', 'y'])) }])
    const w = writer()
    await eventually(
      async () => counters.total('sightline_writer_batches_failed_total'),
      (n) => n >= 1,
    )
    expect(await stream.lag('writer', topic)).toBe(1)
    await sqlExec(warehouse, 'RENAME TABLE events_away TO events')
    expect(await eventually(countEvents, (n) => n >= 2)).toBe(2)
    await w.stop()
  })

  it('sends unreadable records to the rejected table instead of blocking or dropping them', async () => {
    await stream.append(topic, [{ value: encode('{broken') }, { value: encode(edgeBatch(['ok-1'])) }])
    const w = writer()
    await eventually(countEvents, (n) => n >= 1)
    await w.stop()
    const rejected = await sqlRows<{ stage: string; payload: string }>(
      warehouse,
      'SELECT stage, payload FROM rejected',
    )
    expect(rejected).toEqual([{ stage: 'writer', payload: '{broken' }])
  })
})

describe('writer and identity merges', () => {
  const overrides = () =>
    sqlRows<{ id: string; person: string }>(
      warehouse,
      'SELECT id, argMax(person, version) AS person FROM person_overrides GROUP BY id ORDER BY id',
    )
  const link = (messageId: string, over: Parameters<typeof edgeEvent>[1]) => ({
    ...edgeBatch([]),
    events: [edgeEvent(messageId, over)],
  })

  it('records identify and alias links in person_overrides, transitively, without touching events', async () => {
    await stream.append(topic, [
      { value: encode(edgeBatch(['p1'])) },
      {
        value: encode(
          link('i1', { type: 'identify', event: '$identify', anonymous_id: 'anon-p1', user_id: 'u-9' }),
        ),
      },
      // Server-side alias: no anonymous id at all.
      {
        value: encode(
          link('a1', {
            type: 'alias',
            event: '$alias',
            anonymous_id: '',
            user_id: 'u-1',
            previous_id: 'u-9',
          }),
        ),
      },
    ])
    const w = writer()
    await eventually(overrides, (rows) => rows.length >= 3)
    await eventually(
      () => stream.lag('writer', topic),
      (lag) => lag === 0,
    )
    await w.stop()
    expect(await overrides()).toEqual([
      { id: 'anon-p1', person: 'anon-p1' },
      { id: 'u-1', person: 'anon-p1' },
      { id: 'u-9', person: 'anon-p1' },
    ])
    const stored = await sqlRows<{ person_id: string }>(
      warehouse,
      "SELECT person_id FROM events WHERE message_id = 'p1'",
    )
    expect(stored).toEqual([{ person_id: 'anon-p1' }])
    expect(counters.total('sightline_writer_identity_reassigned_total')).toBe(3)
  })

  it('records the links of a redelivered batch whose rows were already loaded', async () => {
    await stream.append(topic, [
      {
        value: encode(
          link('i2', { type: 'identify', event: '$identify', anonymous_id: 'dev', user_id: 'usr' }),
        ),
      },
    ])
    const dedup = memoryDedup()
    const first = writer('first', dedup)
    await eventually(countEvents, (n) => n >= 1)
    await first.stop()
    // As if the links had been lost after the rows were loaded: the replay's rows are all
    // duplicates to the dedup store, and the links must be recorded all the same.
    await sqlExec(warehouse, 'TRUNCATE TABLE person_overrides')
    const second = writer('second', dedup)
    await eventually(overrides, (rows) => rows.length >= 2)
    await second.stop()
    expect(await countEvents()).toBe(1)
    expect(await overrides()).toEqual([
      { id: 'dev', person: 'dev' },
      { id: 'usr', person: 'dev' },
    ])
  })
})

describe('writer and edge refusals', () => {
  it('stores the events the edge refused in the rejected table, with reason and payload', async () => {
    const batch = {
      ...edgeBatch(['good-1']),
      ingest_path: 'native',
      rejected: [
        {
          index: 1,
          code: 'invalid_event',
          message: 'event: too long',
          message_id: 'bad-1',
          raw: '{"bad":1}',
        },
      ],
    }
    await stream.append(topic, [{ value: encode(batch) }])
    const w = writer()
    await eventually(countEvents, (n) => n >= 1)
    await w.stop()
    const rows = await sqlRows(warehouse, 'SELECT site_id, stage, code, message_id, payload FROM rejected')
    expect(rows).toEqual([
      { site_id: 'site_a', stage: 'edge', code: 'invalid_event', message_id: 'bad-1', payload: '{"bad":1}' },
    ])
    expect(
      counters.get('sightline_rejected_events_total', {
        site: 'site_a',
        stage: 'edge',
        code: 'invalid_event',
      }),
    ).toBe(1)
  })
})

describe('writer and rows that cannot be loaded', () => {
  it('dead-letters an event the row mapping cannot read and loads the rest of its batch', async () => {
    const batch = edgeBatch(['ok-a', 'broken', 'ok-b'])
    batch.events[1]!.ts = 'not a time'
    await stream.append(topic, [{ value: encode(batch) }])
    const w = writer()
    await eventually(countEvents, (n) => n >= 2)
    await eventually(
      () => stream.lag('writer', topic),
      (lag) => lag === 0,
    )
    await w.stop()
    expect(await countEvents()).toBe(2)
    const rejected = await sqlRows<{ stage: string; code: string; message_id: string }>(
      warehouse,
      'SELECT stage, code, message_id FROM rejected',
    )
    expect(rejected).toEqual([{ stage: 'writer', code: 'invalid_event', message_id: 'broken' }])
  })

  it('isolates rows ClickHouse itself refuses (after repeated failures), loads the others, commits', async () => {
    // A real refusal by the engine: a table constraint that one event breaks.
    await sqlExec(warehouse, `ALTER TABLE events ADD CONSTRAINT no_evil CHECK event != 'evil'`)
    const batch = edgeBatch(['r1', 'r2', 'r3', 'r4', 'r5'])
    batch.events[3]!.event = 'evil'
    await stream.append(topic, [{ value: encode(batch) }])
    const w = writer()
    await eventually(
      () => stream.lag('writer', topic),
      (lag) => lag === 0,
      30_000,
    )
    await w.stop()
    const ids = await sqlRows<{ message_id: string }>(
      warehouse,
      'SELECT message_id FROM events ORDER BY message_id',
    )
    expect(ids.map((r) => r.message_id)).toEqual(['r1', 'r2', 'r3', 'r5'])
    const rejected = await sqlRows<{ message_id: string; message: string }>(
      warehouse,
      'SELECT message_id, message FROM rejected',
    )
    expect(rejected.map((r) => r.message_id)).toEqual(['r4'])
    expect(rejected[0]?.message).toContain('no_evil')
    expect(counters.get('sightline_writer_events_total', { outcome: 'refused' })).toBe(1)
  })
})

describe('writer and ingest_stats', () => {
  const COMMIT = Date.parse('2030-05-01T10:07:30.250Z')
  const COMMIT_MINUTE = Date.parse('2030-05-01T10:07:00Z') / 1000

  function clockedWriter(now: () => number): Writer {
    const w = startWriter({
      stream,
      warehouse,
      dedup: memoryDedup(),
      counters,
      topic,
      group: 'writer',
      maxWaitMs: 20,
      now,
    })
    writers.push(w)
    return w
  }

  /** Sums per key, as every reader of the table must (merges fold rows only eventually). */
  const stats = () =>
    sqlRows<{ site_id: string; outcome: string; stage: string; reason: string; events: number }>(
      warehouse,
      `SELECT site_id, outcome, stage, reason, toUInt64(sum(events)) AS events FROM ingest_stats
       WHERE outcome != 'canary'
       GROUP BY site_id, outcome, stage, reason ORDER BY site_id, outcome, stage, reason`,
    )

  it('records inserted, duplicates, refusals by reason and canary lags; no canary reaches events', async () => {
    const created = COMMIT - 1_234
    const withRefusal = {
      ...edgeBatch(['a', 'b', 'c']),
      rejected: [{ index: 3, code: 'invalid_event', message: 'event: too long', raw: '{}' }],
    }
    const badTime = edgeBatch(['d', 'bad-ts'], 'site_b')
    badTime.events[1]!.ts = 'not a time'
    const forged = canaryBatch({ bridgeId: 'b-2', createdAtMs: created }, 'unreadable')
    forged.events[0]!.properties = {}
    await stream.append(topic, [
      { value: encode(withRefusal) },
      { value: encode(canaryBatch({ bridgeId: 'b-1', createdAtMs: created }, 'one')) },
      // `a` again (another record of the same stream batch), and `e` twice in one record.
      { value: encode(edgeBatch(['a', 'e', 'e'])) },
      { value: encode(badTime) },
      { value: encode('{not a batch') },
      { value: encode(forged) },
    ])
    const w = clockedWriter(() => COMMIT)
    await eventually(
      () => stream.lag('writer', topic),
      (lag) => lag === 0,
    )
    // A copy of an event already loaded: a duplicate by the dedup store, not by the batch.
    await stream.append(topic, [{ value: encode(edgeBatch(['b'])) }])
    await eventually(
      () => stream.lag('writer', topic),
      (lag) => lag === 0,
    )
    await w.stop()

    expect(await stats()).toEqual([
      { site_id: '', outcome: 'refused', stage: 'writer', reason: 'invalid_canary', events: 1 },
      { site_id: '', outcome: 'refused', stage: 'writer', reason: 'invalid_request', events: 1 },
      { site_id: 'site_a', outcome: 'duplicate', stage: '', reason: '', events: 3 },
      { site_id: 'site_a', outcome: 'inserted', stage: '', reason: '', events: 4 },
      { site_id: 'site_a', outcome: 'refused', stage: 'edge', reason: 'invalid_event', events: 1 },
      { site_id: 'site_b', outcome: 'inserted', stage: '', reason: '', events: 1 },
      { site_id: 'site_b', outcome: 'refused', stage: 'writer', reason: 'invalid_event', events: 1 },
    ])
    const canaries = await sqlRows(
      warehouse,
      `SELECT site_id, bridge_id, toString(created_at) AS created_at, toUnixTimestamp(minute) AS minute,
         toInt64(sum(lag_ms)) AS lag_ms, toUInt64(sum(events)) AS events
       FROM ingest_stats WHERE outcome = 'canary' GROUP BY site_id, bridge_id, created_at, minute`,
    )
    expect(canaries).toEqual([
      {
        site_id: '',
        bridge_id: 'b-1',
        created_at: '2030-05-01 10:07:29.016',
        minute: COMMIT_MINUTE,
        lag_ms: 1_234,
        events: 1,
      },
    ])
    const minutes = await sqlRows<{ minute: number }>(
      warehouse,
      'SELECT DISTINCT toUnixTimestamp(minute) AS minute FROM ingest_stats',
    )
    expect(minutes).toEqual([{ minute: COMMIT_MINUTE }])
    // Events: exactly the five real ones; nothing of either canary.
    const loaded = await sqlRows<{ message_id: string }>(
      warehouse,
      'SELECT message_id FROM events ORDER BY message_id',
    )
    expect(loaded.map((r) => r.message_id)).toEqual(['a', 'b', 'c', 'd', 'e'])
    const canaryRows = await sqlRows<{ c: number }>(
      warehouse,
      `SELECT toUInt64(count()) AS c FROM events WHERE ingest_path = 'canary' OR site_id = '${CANARY_SITE}'`,
    )
    expect(canaryRows).toEqual([{ c: 0 }])
    // The counters agree with the table.
    expect(counters.get('sightline_writer_events_total', { outcome: 'inserted' })).toBe(5)
    expect(counters.get('sightline_writer_events_total', { outcome: 'duplicate' })).toBe(3)
    expect(counters.get('sightline_writer_canaries_total', { bridge: 'b-1' })).toBe(1)
  })

  it('counts a batch once when its stats insert fails and the batch is retried', async () => {
    await sqlExec(warehouse, 'RENAME TABLE ingest_stats TO ingest_stats_away')
    await stream.append(topic, [{ value: encode(edgeBatch(['x', 'y'])) }])
    const w = clockedWriter(() => COMMIT)
    // The events load, then the stats insert fails: the batch stays uncommitted.
    await eventually(
      async () => counters.total('sightline_writer_batches_failed_total'),
      (n) => n >= 1,
    )
    expect(await countEvents()).toBe(2)
    expect(await stream.lag('writer', topic)).toBe(1)
    await sqlExec(warehouse, 'RENAME TABLE ingest_stats_away TO ingest_stats')
    await eventually(
      () => stream.lag('writer', topic),
      (lag) => lag === 0,
    )
    await w.stop()
    // Not "2 duplicates": the retry reused the counts of the attempt that loaded the rows.
    expect(await stats()).toEqual([
      { site_id: 'site_a', outcome: 'inserted', stage: '', reason: '', events: 2 },
    ])
  })
})
