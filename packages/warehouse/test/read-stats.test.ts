import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { WarehouseError } from '../src/errors.ts'
import { openWarehouse } from '../src/open.ts'
import type { NamedQuery, ReadStats, Warehouse } from '../src/port.ts'
import { NOT_A_ROW, ReadMeter, summaryStats } from '../src/read-stats.ts'
import { chdbFixture } from './chdb-fixture.ts'

const chdb = chdbFixture()
afterAll(() => chdb.cleanup())

const Sum = z.object({ s: z.coerce.number() })
const SUM: NamedQuery<{ s: number }> = { name: 'test.sum', sql: 'SELECT sum(x) AS s FROM t', row: Sum }

/** The stats one read reported, and how often it reported (onStats must fire at most once). */
function recorder() {
  const seen: ReadStats[] = []
  return { seen, onStats: (stats: ReadStats) => seen.push(stats) }
}

async function tableOf(rows: number): Promise<Warehouse> {
  const w = await chdb.open()
  await w.command({ name: 'test.create', sql: 'CREATE TABLE t (x UInt64) ENGINE = MergeTree ORDER BY x' })
  await addRows(w, 0, rows)
  return w
}

async function addRows(w: Warehouse, from: number, count: number): Promise<void> {
  await w.command({
    name: 'test.fill',
    sql: `INSERT INTO t SELECT number + ${from} FROM numbers(${count})`,
  })
}

describe('rows read, embedded (chdb)', () => {
  it('reports what the engine scanned, not the result size, and it grows with the data', async () => {
    const w = await tableOf(1_000)
    const first = recorder()
    expect(await w.query(SUM, { onStats: first.onStats })).toEqual([{ s: (999 * 1_000) / 2 }])
    // One result row; a full scan of one UInt64 column reads every row, 8 bytes each.
    expect(first.seen).toEqual([{ rowsRead: 1_000, bytesRead: 8_000 }])

    await addRows(w, 1_000, 100_000)
    const second = recorder()
    await w.query(SUM, { onStats: second.onStats })
    expect(second.seen).toEqual([{ rowsRead: 101_000, bytesRead: 808_000 }])
  })

  it('returns the same rows as an unmetered read: the progress lines never leak as rows', async () => {
    const w = await tableOf(50_000)
    const read: NamedQuery<{ k: number; c: number }> = {
      name: 'test.groups',
      sql: 'SELECT x % 4 AS k, count() AS c FROM t GROUP BY k ORDER BY k',
      row: z.object({ k: z.coerce.number(), c: z.coerce.number() }),
    }
    const stats = recorder()
    const metered = await w.query(read, { onStats: stats.onStats })
    expect(metered).toEqual(await w.query(read))
    expect(metered).toHaveLength(4)
    expect(stats.seen).toEqual([{ rowsRead: 50_000, bytesRead: 400_000 }])
  })

  it('reports zero for a read that touched no data', async () => {
    const w = await tableOf(10_000)
    const stats = recorder()
    const none = await w.query(
      { name: 'test.nothing', sql: 'SELECT x FROM t WHERE 0', row: z.object({ x: z.number() }) },
      { onStats: stats.onStats },
    )
    expect(none).toEqual([])
    expect(stats.seen).toEqual([{ rowsRead: 0, bytesRead: 0 }])
  })

  it('meters a stream once it has been read to its end, and not when it was broken off', async () => {
    const w = await tableOf(30_000)
    const read: NamedQuery<{ x: number }> = {
      name: 'test.stream_all',
      sql: 'SELECT x FROM t WHERE x % 10 = 0 ORDER BY x',
      row: z.object({ x: z.coerce.number() }),
    }
    const whole = recorder()
    let count = 0
    for await (const row of w.stream(read, { onStats: whole.onStats })) {
      expect(row.x % 10).toBe(0)
      count++
    }
    expect(count).toBe(3_000)
    expect(whole.seen).toEqual([{ rowsRead: 30_000, bytesRead: 240_000 }])

    const broken = recorder()
    for await (const _ of w.stream(read, { onStats: broken.onStats })) break
    expect(broken.seen).toEqual([])
  })

  it('keeps the read bounds, reports nothing for a failed read, and meters the ingest lane too', async () => {
    const w = await tableOf(5_000)
    const failed = recorder()
    const err = await w
      .query(
        {
          name: 'test.too_many',
          sql: 'SELECT x FROM t',
          row: z.object({ x: z.number() }),
          limits: { maxResultRows: 10 },
        },
        { onStats: failed.onStats },
      )
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WarehouseError)
    expect((err as WarehouseError).kind).toBe('too_large')
    expect(failed.seen).toEqual([])

    const ingest = recorder()
    await w.query(SUM, { lane: 'ingest', onStats: ingest.onStats })
    expect(ingest.seen).toEqual([{ rowsRead: 5_000, bytesRead: 40_000 }])
  })

  it('leaves nothing of a failed metered read for the next read on the lane, metered or not', async () => {
    // chdb hands what a failed progress-format read had written (its meta line) to the next
    // statement of the session; the next unmetered read would take it for its first row.
    const w = await tableOf(100_000)
    const tooMany = {
      name: 'test.too_many',
      sql: 'SELECT x FROM t',
      row: z.object({ x: z.number() }),
      limits: { maxResultRows: 10 },
    }
    for (const nextMetered of [false, true]) {
      const err = await w.query(tooMany, { onStats: () => {} }).catch((e: unknown) => e)
      expect((err as WarehouseError).kind).toBe('too_large')
      const next = recorder()
      expect(await w.query(SUM, nextMetered ? { onStats: next.onStats } : {})).toEqual([{ s: 4_999_950_000 }])
      expect(next.seen).toEqual(nextMetered ? [{ rowsRead: 100_000, bytesRead: 800_000 }] : [])
    }
    const err = await (async () => {
      for await (const _ of w.stream(tooMany, { onStats: () => {} })) {
        // drained until the engine refuses
      }
    })().catch((e: unknown) => e)
    expect((err as WarehouseError).kind).toBe('too_large')
    expect(await w.query(SUM)).toEqual([{ s: 4_999_950_000 }])
  })
})

describe('X-ClickHouse-Summary parsing (http mode)', () => {
  const summary = (value: string | string[] | undefined) => summaryStats({ 'x-clickhouse-summary': value })

  it('reads read_rows and read_bytes, which the server sends as decimal strings', () => {
    const header =
      '{"read_rows":"101000","read_bytes":"808000","written_rows":"0","written_bytes":"0","total_rows_to_read":"101000","result_rows":"1","result_bytes":"8","elapsed_ns":"2100708"}'
    expect(summary(header)).toEqual({ rowsRead: 101_000, bytesRead: 808_000 })
    // A repeated header: the last one is the server's final word.
    expect(summary(['{"read_rows":"1","read_bytes":"8"}', '{"read_rows":"5","read_bytes":"40"}'])).toEqual({
      rowsRead: 5,
      bytesRead: 40,
    })
  })

  it('says nothing rather than zero when the header is missing or not a summary', () => {
    expect(summaryStats({})).toBeUndefined()
    expect(summary(undefined)).toBeUndefined()
    expect(summary('not json')).toBeUndefined()
    expect(summary('null')).toBeUndefined()
    expect(summary('{"read_rows":"12"}')).toBeUndefined()
    expect(summary('{"read_rows":"-1","read_bytes":"8"}')).toBeUndefined()
    expect(summary('{"read_rows":"1e3","read_bytes":"8"}')).toBeUndefined()
  })

  it('passes summary-mode items through as rows and progress-mode meta lines never as rows', () => {
    const http = new ReadMeter('summary', { 'x-clickhouse-summary': '{"read_rows":"3","read_bytes":"24"}' })
    expect(http.take({ progress: { read_rows: '9', read_bytes: '9' } })).toEqual({
      progress: { read_rows: '9', read_bytes: '9' },
    })
    expect(http.total()).toEqual({ rowsRead: 3, bytesRead: 24 })
    const embedded = new ReadMeter('progress', {})
    expect(embedded.take({ meta: [{ name: 'x', type: 'UInt64' }] })).toBe(NOT_A_ROW)
    expect(embedded.take({ row: { x: 1 } })).toEqual({ x: 1 })
    expect(embedded.take({ rows_before_limit_at_least: 65_435 })).toBe(NOT_A_ROW)
    expect(embedded.take({ progress: { read_rows: '8192', read_bytes: '65536' } })).toBe(NOT_A_ROW)
    expect(embedded.total()).toEqual({ rowsRead: 8_192, bytesRead: 65_536 })
    expect(() => embedded.take({ exception: 'Code: 159. DB::Exception: Timeout exceeded' })).toThrow(/159/)
    embedded.take({ progress: { read_rows: 'many' } })
    expect(embedded.total()).toBeUndefined()
  })
})

/**
 * The HTTP path end to end through @clickhouse/client, against a stand-in that answers the
 * way a ClickHouse server's HTTP interface does (rows as JSONEachRow, X-ClickHouse-Summary in
 * the headers). It proves the plumbing (header names, settings on the request); it is not a
 * ClickHouse server, and no test here runs against one.
 */
describe('http mode through the client', () => {
  it('asks the server to wait for the end of a metered query, and reports its summary', async () => {
    const requests: URL[] = []
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume()
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://stand-in')
        requests.push(url)
        res.setHeader('content-type', 'application/json; charset=UTF-8')
        res.setHeader('x-clickhouse-summary', '{"read_rows":"4096","read_bytes":"32768","result_rows":"2"}')
        res.end('{"n":1}\n{"n":2}\n')
      })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    const w = await openWarehouse({ mode: 'http', url: `http://127.0.0.1:${port}`, database: 'stand_in' })
    try {
      const read: NamedQuery<{ n: number }> = {
        name: 'test.http',
        sql: 'SELECT n FROM t',
        row: z.object({ n: z.number() }),
      }
      const metered = recorder()
      expect(await w.query(read, { onStats: metered.onStats })).toEqual([{ n: 1 }, { n: 2 }])
      expect(metered.seen).toEqual([{ rowsRead: 4_096, bytesRead: 32_768 }])
      expect(requests.at(-1)?.searchParams.get('wait_end_of_query')).toBe('1')

      // Unmetered reads and streams are sent as before: the server streams as it computes.
      expect(await w.query(read)).toEqual([{ n: 1 }, { n: 2 }])
      expect(requests.at(-1)?.searchParams.has('wait_end_of_query')).toBe(false)
      const streamed = recorder()
      const rows: number[] = []
      for await (const row of w.stream(read, { onStats: streamed.onStats })) rows.push(row.n)
      expect(rows).toEqual([1, 2])
      expect(requests.at(-1)?.searchParams.has('wait_end_of_query')).toBe(false)
      expect(streamed.seen).toEqual([{ rowsRead: 4_096, bytesRead: 32_768 }])
    } finally {
      await w.close()
      server.close()
    }
  })
})
