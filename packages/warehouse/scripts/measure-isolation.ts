// How a heavy read shares the embedded process with the writer's inserts and the segment
// log's fsyncs (all three run on libuv worker threads). Numbers quoted in docs/performance.md
// and docs/adr/0014-query-isolation-in-the-hub.md.
//   node --import tsx packages/warehouse/scripts/measure-isolation.ts
//   UV_THREADPOOL_SIZE=8 node --import tsx packages/warehouse/scripts/measure-isolation.ts
import { mkdtempSync, rmSync } from 'node:fs'
import { open as openFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { toEventRow } from '../src/event-row.ts'
import { migrate } from '../src/migrate.ts'
import { openWarehouse } from '../src/open.ts'
import type { Lane, NamedQuery, Warehouse } from '../src/port.ts'
import { sampleEvent } from '../test/sample-event.ts'

const SECONDS = Number(process.env.MEASURE_SECONDS ?? 4)
const Count = z.object({ c: z.coerce.number() })
// CPU-bound until its 1 s limit stops it; re-issued in a loop for the whole phase.
const heavy = (bound: boolean, maxThreads = 0): NamedQuery<{ c: number }> => ({
  name: 'measure.heavy',
  sql: bound
    ? 'SELECT count() AS c FROM numbers_mt({n:UInt64}) WHERE sipHash64(number) % 7 = 3'
    : 'SELECT count() AS c FROM numbers_mt(40000000000) WHERE sipHash64(number) % 7 = 3',
  params: bound ? { n: 40_000_000_000 } : {},
  row: Count,
  limits: { maxExecutionTimeS: 1, maxThreads },
})

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN
}

async function main(): Promise<void> {
  const path = mkdtempSync(join(tmpdir(), 'sightline-isolation-'))
  const w = await openWarehouse({ mode: 'embedded', path, database: 'iso' })
  // Same engine, a second port whose reads are not bounded in number (the no-gate case).
  const ungated = await openWarehouse({
    mode: 'embedded',
    path,
    database: 'iso',
    reads: { maxConcurrentReads: 64 },
  })
  await migrate(w)
  const fsyncFile = await openFile(join(path, 'fsync.log'), 'a')
  const batch = Array.from({ length: 500 }, (_, i) => toEventRow(sampleEvent({ message_id: `m${i}` })))
  let seq = 0

  async function phase(
    label: string,
    readers: Array<{ on: Warehouse; query: NamedQuery<unknown>; lane: Lane }>,
  ) {
    const stop = new AbortController()
    const running = readers.map(async ({ on, query, lane }) => {
      while (!stop.signal.aborted) await on.query(query, { lane, signal: stop.signal }).catch(() => {})
    })
    await new Promise((r) => setTimeout(r, 300))
    const inserts: number[] = []
    const fsyncs: number[] = []
    const lag: number[] = []
    const end = Date.now() + SECONDS * 1000
    const loop = async (every: number, work: () => Promise<void>, into: number[]) => {
      while (Date.now() < end) {
        const t = performance.now()
        await work()
        into.push(performance.now() - t)
        await new Promise((r) => setTimeout(r, every))
      }
    }
    await Promise.all([
      loop(100, () => w.insert('events', batch, { dedupToken: `t${seq++}` }), inserts),
      loop(
        20,
        async () => {
          await fsyncFile.write('x'.repeat(4096))
          await fsyncFile.sync()
        },
        fsyncs,
      ),
      loop(10, () => new Promise((r) => setImmediate(r)), lag),
    ])
    stop.abort()
    await Promise.all(running)
    const f = (n: number) => n.toFixed(0)
    console.log(
      `| ${label} | ${inserts.length} | ${f(pct(inserts, 50))} | ${f(pct(inserts, 95))} | ${fsyncs.length} | ${f(pct(fsyncs, 50))} | ${f(pct(fsyncs, 95))} | ${f(Math.max(...fsyncs))} | ${f(pct(lag, 99))} |`,
    )
  }

  console.log(
    `UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}; ${SECONDS} s per phase; 500-row insert every 100 ms, 4 KB write+fsync every 20 ms\n`,
  )
  console.log(
    '| concurrent load | inserts | insert p50 ms | insert p95 ms | fsyncs | fsync p50 ms | fsync p95 ms | fsync max ms | event-loop lag p99 ms |',
  )
  console.log('|---|---|---|---|---|---|---|---|---|')
  const n = (k: number, item: { on: Warehouse; query: NamedQuery<unknown>; lane: Lane }) =>
    Array.from({ length: k }, () => item)
  await phase('none (baseline)', [])
  await phase(
    '1 heavy read on the writer session (one session, as before)',
    n(1, { on: w, query: heavy(true), lane: 'ingest' }),
  )
  await phase(
    '1 heavy read on the reads lane, max_threads = 0 (all cores)',
    n(1, { on: w, query: heavy(true), lane: 'reads' }),
  )
  await phase(
    '1 heavy read on the reads lane, max_threads = 1 (embedded default on 2 cores)',
    n(1, { on: w, query: heavy(true, 1), lane: 'reads' }),
  )
  await phase(
    '4 heavy parameterised reads, no read gate',
    n(4, { on: ungated, query: heavy(true), lane: 'reads' }),
  )
  await phase(
    '4 heavy parameterised reads, read gate (1)',
    n(4, { on: w, query: heavy(true), lane: 'reads' }),
  )
  await phase(
    '4 heavy unparameterised reads, no read gate',
    n(4, { on: ungated, query: heavy(false), lane: 'reads' }),
  )
  await phase(
    '4 heavy unparameterised reads, read gate (1)',
    n(4, { on: w, query: heavy(false), lane: 'reads' }),
  )
  await phase('none (baseline again)', [])
  await fsyncFile.close()
  await ungated.close()
  await w.close()
  rmSync(path, { recursive: true, force: true })
}

await main()
