import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { WarehouseError } from '../src/errors.ts'
import type { NamedQuery, Warehouse } from '../src/port.ts'
import { chdbFixture } from './chdb-fixture.ts'

const chdb = chdbFixture()
afterAll(() => chdb.cleanup())

// Seconds of CPU at any realistic speed: only a limit or a kill ends it.
const HEAVY: NamedQuery<{ c: number }> = {
  name: 'test.heavy',
  sql: 'SELECT count() AS c FROM numbers_mt({n:UInt64}) WHERE sipHash64(number) % 7 = 3',
  params: { n: 40_000_000_000 },
  row: z.object({ c: z.coerce.number() }),
}

async function failureOf(promise: Promise<unknown>): Promise<WarehouseError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(WarehouseError)
  return err as WarehouseError
}

/**
 * Reads of this test's id still in the engine, seen from the ingest lane. Unparameterised
 * (the ids are literals of this file): chdb runs parameterised queries one at a time across
 * the process, so a bound version would wait for the heavy read it is looking for.
 */
async function running(w: Warehouse, queryId: string): Promise<number> {
  const rows = await w.query(
    {
      name: 'test.processes',
      sql: `SELECT count() AS c FROM system.processes WHERE endsWith(Settings['log_comment'], ':${queryId}')`,
      row: z.object({ c: z.coerce.number() }),
    },
    { lane: 'ingest' },
  )
  return rows[0]?.c ?? -1
}

/**
 * The killed query really stopped: a chdb session runs one statement at a time, so a small
 * read on the same lane answers only once the heavy one ended, and the process stops burning
 * CPU. (chdb leaves a stale system.processes row behind a killed query, so that is no proof.)
 */
async function expectEngineFree(w: Warehouse, abortedAt: number): Promise<void> {
  const ping = await w.query({
    name: 'test.after_kill',
    sql: 'SELECT 1 AS one',
    row: z.object({ one: z.coerce.number() }),
  })
  expect(ping).toEqual([{ one: 1 }])
  // Long before max_execution_time (10 s) would have ended it.
  expect(Date.now() - abortedAt).toBeLessThan(3_000)
  const before = process.cpuUsage()
  await new Promise((resolve) => setTimeout(resolve, 500))
  const used = process.cpuUsage(before)
  expect((used.user + used.system) / 1000).toBeLessThan(250)
}

describe('named reads', () => {
  it('binds arrays and parses every row with its schema', async () => {
    const w = await chdb.open()
    const rows = await w.query({
      name: 'test.in_list',
      sql: 'SELECT number AS n, toString(number) AS s FROM numbers(10) WHERE number IN {ids:Array(UInt64)} ORDER BY n',
      params: { ids: [2, 5, 7] },
      row: z.object({ n: z.coerce.number(), s: z.string() }),
    })
    expect(rows).toEqual([
      { n: 2, s: '2' },
      { n: 5, s: '5' },
      { n: 7, s: '7' },
    ])
  })

  it('refuses rows that do not match the schema as bad_rows, naming the query', async () => {
    const w = await chdb.open()
    const err = await failureOf(
      w.query({ name: 'test.shape', sql: "SELECT 'x' AS n", row: z.object({ n: z.number() }) }),
    )
    expect(err.kind).toBe('bad_rows')
    expect(err.message).toContain('test.shape')
  })

  it('refuses names and ids that could not be tagged safely', async () => {
    const w = await chdb.open()
    await expect(w.query({ ...HEAVY, name: "x' OR 1" })).rejects.toThrow(/invalid query name/)
    await expect(w.query(HEAVY, { queryId: "a'b" })).rejects.toThrow(/invalid query id/)
  })

  it('streams rows as they come, each parsed', async () => {
    const w = await chdb.open()
    const seen: number[] = []
    for await (const row of w.stream({
      name: 'test.stream',
      sql: 'SELECT number AS n FROM numbers({count:UInt32})',
      params: { count: 2_500 },
      row: z.object({ n: z.coerce.number() }),
    }))
      seen.push(row.n)
    expect(seen).toHaveLength(2_500)
    expect(seen[2_499]).toBe(2_499)
  })
})

describe('read limits', () => {
  it('stops a query at max_execution_time with a timeout, not a hang', async () => {
    const w = await chdb.open()
    const started = Date.now()
    const err = await failureOf(w.query({ ...HEAVY, limits: { maxExecutionTimeS: 1 } }))
    expect(err.kind).toBe('timeout')
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('stops a query at max_memory_usage as too_large', async () => {
    const w = await chdb.open()
    const err = await failureOf(
      w.query({
        name: 'test.wide_group',
        sql: 'SELECT number % 50000000 AS k, count() AS c FROM numbers_mt(200000000) GROUP BY k',
        row: z.object({ k: z.coerce.number(), c: z.coerce.number() }),
        limits: { maxMemoryBytes: 100_000_000 },
      }),
    )
    expect(err.kind).toBe('too_large')
  })

  it('refuses a result over max_result_rows as too_large instead of truncating it', async () => {
    const w = await chdb.open()
    const err = await failureOf(
      w.query({
        name: 'test.many_rows',
        sql: 'SELECT number AS n FROM numbers(1000000)',
        row: z.object({ n: z.coerce.number() }),
        limits: { maxResultRows: 1_000 },
      }),
    )
    expect(err.kind).toBe('too_large')
  })

  it('scopes the limits to the read: neither lane keeps a setting afterwards', async () => {
    const w = await chdb.open()
    const Setting = z.object({ v: z.coerce.number() })
    const read = { name: 'test.setting', sql: "SELECT getSetting('max_result_rows') AS v", row: Setting }
    expect(await w.query({ ...read, limits: { maxResultRows: 7 } })).toEqual([{ v: 7 }])
    expect(await w.query(read)).toEqual([{ v: w.limits.maxResultRows }])
    // A statement carries no read bounds: what it sees is the session's own setting.
    await w.query({ ...read, limits: { maxResultRows: 7 } }, { lane: 'ingest' })
    await w.command({
      name: 'test.capture_setting',
      sql: "CREATE TABLE seen ENGINE = Memory AS SELECT getSetting('max_result_rows') AS v",
    })
    expect(await w.query({ name: 'test.seen', sql: 'SELECT v FROM seen', row: Setting })).toEqual([{ v: 0 }])
  })
})

describe('read-only reads', () => {
  it('runs a readonly read with readonly = 1: reading works, table functions are refused by the engine', async () => {
    const w = await chdb.open()
    const setting = z.object({ r: z.coerce.number(), t: z.coerce.number() })
    const sql = "SELECT toUInt8(getSetting('readonly')) AS r, toUInt32(getSetting('max_execution_time')) AS t"
    expect(await w.query({ name: 'test.ro', sql, row: setting, readonly: true })).toEqual([{ r: 1, t: 10 }])
    // The bounds in the same clause still apply, and a plain read is not read-only.
    expect(await w.query({ name: 'test.rw', sql, row: setting })).toEqual([{ r: 0, t: 10 }])
    const file = "SELECT count() AS c FROM file('/etc/hostname', 'LineAsString')"
    const err = await failureOf(w.query({ name: 'test.ro', sql: file, row: z.unknown(), readonly: true }))
    expect(err.kind).toBe('failed')
    expect(String((err.cause as { message?: string }).message)).toMatch(/readonly mode/)
  })
})

describe('cancellation', () => {
  it('rejects at once when aborted and kills the query in the engine', async () => {
    const w = await chdb.open()
    const controller = new AbortController()
    const queryId = 'cancel-me'
    const pending = w.query(HEAVY, { signal: controller.signal, queryId })
    await expect.poll(() => running(w, queryId), { timeout: 5_000, interval: 50 }).toBe(1)
    const abortedAt = Date.now()
    controller.abort()
    const err = await failureOf(pending)
    expect(err.kind).toBe('cancelled')
    expect(err.queryId).toBe(queryId)
    await expectEngineFree(w, abortedAt)
  })

  it('kills a streamed query the consumer stops reading', async () => {
    const w = await chdb.open()
    const queryId = 'stream-stop'
    const controller = new AbortController()
    const iterating = (async () => {
      for await (const _ of w.stream(HEAVY, { queryId, signal: controller.signal })) break
    })()
    await expect.poll(() => running(w, queryId), { timeout: 5_000, interval: 50 }).toBe(1)
    const abortedAt = Date.now()
    controller.abort()
    await expect(iterating).rejects.toBeInstanceOf(WarehouseError)
    await expectEngineFree(w, abortedAt)
  })
})

describe('read concurrency', () => {
  it('queues reads past maxConcurrentReads and times a queued read out at its deadline', async () => {
    const { openWarehouse } = await import('../src/open.ts')
    const w = await openWarehouse({
      mode: 'embedded',
      path: chdb.path,
      database: 'gate_test',
      reads: { maxConcurrentReads: 1, maxExecutionTimeS: 2 },
    })
    try {
      // The slot holder outlasts the queued read's 2 s deadline by far, so under any load the
      // queued read meets its deadline before the slot frees.
      const first = w.query({ ...HEAVY, limits: { maxExecutionTimeS: 6 } })
      const started = Date.now()
      const queued = await failureOf(
        w.query({ name: 'test.small', sql: 'SELECT 1 AS one', row: z.object({ one: z.coerce.number() }) }),
      )
      expect(queued.kind).toBe('timeout')
      expect(queued.message).toMatch(/read slot/)
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_900)
      expect((await failureOf(first)).kind).toBe('timeout')
      // The ingest lane never waits for a read slot.
      const busy = w.query(HEAVY)
      const ping = await w.query(
        { name: 'test.ping', sql: 'SELECT 1 AS one', row: z.object({ one: z.coerce.number() }) },
        { lane: 'ingest' },
      )
      expect(ping).toEqual([{ one: 1 }])
      await busy.catch(() => {})
    } finally {
      await w.close()
    }
  })
})
