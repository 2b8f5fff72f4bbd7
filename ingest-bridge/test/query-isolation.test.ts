import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memoryDedup } from '@sightline/state'
import { type EventStream, segmentLogStream } from '@sightline/stream'
import { countEvents, migrate, type NamedQuery, openWarehouse, type Warehouse } from '@sightline/warehouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Counters, createApp, startWriter } from '../src/index.ts'
import { edgeBatch, SIGNING_KEYS, signedRequest } from './edge-batches.ts'

/**
 * Issue 7's isolation proof: the receiver, the writer and a deliberately heavy query share
 * one process and one chdb engine, as in the embedded hub. Batches arrive at a steady rate;
 * each one's acknowledgement time (2xx = fsynced in the segment log) and freshness (2xx →
 * loaded into ClickHouse) are compared with and without the heavy query.
 */

const RATE_MS = 50
const EVENTS_PER_BATCH = 50
const PHASE_MS = 4_000

// CPU-bound for minutes unless a limit or a kill stops it; parameterised like the planner's.
const HEAVY: NamedQuery<{ c: number }> = {
  name: 'test.heavy_dashboard',
  sql: 'SELECT count() AS c FROM numbers_mt({n:UInt64}) WHERE sipHash64(number) % 7 = 3',
  params: { n: 40_000_000_000 },
  row: z.object({ c: z.coerce.number() }),
}
// Unparameterised reads skip chdb's one-at-a-time parameter chain: they are what can fill
// the libuv pool if nothing bounds them.
const HEAVY_UNBOUND: NamedQuery<{ c: number }> = {
  ...HEAVY,
  name: 'test.heavy_unbound',
  sql: 'SELECT count() AS c FROM numbers_mt(40000000000) WHERE sipHash64(number) % 7 = 3',
  params: {},
}

interface Phase {
  label: string
  batches: number
  ackMs: number[]
  freshMs: number[]
}

let dir: string
let stream: EventStream
let warehouse: Warehouse
let writer: { stop(): Promise<void> }
let app: ReturnType<typeof createApp>
const loadedWaiters: Array<{ offset: number; resolve: () => void }> = []
let loadedUpTo = -1

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sightline-isolation-'))
  stream = segmentLogStream({ dir: join(dir, 'stream') })
  warehouse = await openWarehouse({ mode: 'embedded', path: join(dir, 'chdb'), database: 'isolation' })
  await migrate(warehouse)
  const counters = new Counters()
  app = createApp({ stream, topic: 'events.v1', signingKeys: SIGNING_KEYS, counters })
  writer = startWriter({
    stream,
    warehouse,
    dedup: memoryDedup(),
    counters,
    topic: 'events.v1',
    group: 'writer',
    maxWaitMs: 50,
    onLoaded: ({ lastOffset }) => {
      loadedUpTo = Math.max(loadedUpTo, lastOffset)
      for (let i = loadedWaiters.length - 1; i >= 0; i--) {
        const waiter = loadedWaiters[i]!
        if (waiter.offset <= loadedUpTo) {
          loadedWaiters.splice(i, 1)
          waiter.resolve()
        }
      }
    },
  })
})

afterAll(async () => {
  await writer?.stop()
  await stream?.close()
  await warehouse?.close()
  rmSync(dir, { recursive: true, force: true })
})

function loaded(offset: number): Promise<void> {
  if (offset <= loadedUpTo) return Promise.resolve()
  return new Promise((resolve) => loadedWaiters.push({ offset, resolve }))
}

let seq = 0
async function ingestSteadily(label: string): Promise<Phase> {
  const phase: Phase = { label, batches: 0, ackMs: [], freshMs: [] }
  const inFlight: Promise<void>[] = []
  const end = Date.now() + PHASE_MS
  while (Date.now() < end) {
    const ids = Array.from({ length: EVENTS_PER_BATCH }, () => `iso-${seq++}`)
    const body = JSON.stringify(edgeBatch(ids))
    inFlight.push(
      (async () => {
        const sent = performance.now()
        const res = await app.request('/v1/ingest', await signedRequest(body))
        const acked = performance.now()
        expect(res.status).toBe(200)
        const { offset } = (await res.json()) as { offset: number }
        phase.ackMs.push(acked - sent)
        await loaded(offset)
        phase.freshMs.push(performance.now() - sent)
        phase.batches += 1
      })(),
    )
    await new Promise((resolve) => setTimeout(resolve, RATE_MS))
  }
  await Promise.all(inFlight)
  return phase
}

function p(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

function row(phase: Phase): string {
  const f = (n: number) => n.toFixed(0).padStart(6)
  return `${phase.label.padEnd(52)} ${String(phase.batches).padStart(4)} ${f(p(phase.ackMs, 0.5))} ${f(p(phase.ackMs, 0.95))} ${f(p(phase.freshMs, 0.5))} ${f(p(phase.freshMs, 0.95))} ${f(Math.max(...phase.freshMs))}`
}

describe('ingestion beside a heavy query in one process', () => {
  it('keeps acknowledgements and freshness while dashboards run runaway queries', async () => {
    const phases: Phase[] = []
    phases.push(await ingestSteadily('idle (baseline)'))

    // Four runaway reads at once on the reads lane: two run, two wait for a slot.
    const stop = new AbortController()
    const hogs = [HEAVY, HEAVY, HEAVY_UNBOUND, HEAVY_UNBOUND].map((q) =>
      warehouse.query(q, { signal: stop.signal }).catch((err: unknown) => err),
    )
    phases.push(await ingestSteadily('4 heavy reads on the reads lane'))
    stop.abort()
    await Promise.all(hogs)

    // Control: the same kind of read on the writer's own chdb session (one session for
    // everything, as the hub had before): inserts queue behind it. Shows the test can fail.
    const control = warehouse
      .query({ ...HEAVY, limits: { maxExecutionTimeS: 3 } }, { lane: 'ingest' })
      .catch((err: unknown) => err)
    phases.push(await ingestSteadily('1 heavy read sharing the writer session (control)'))
    await control

    console.log(
      [
        `${'phase'.padEnd(52)} batches ack p50 ack p95 fresh p50 fresh p95 fresh max (ms; ${EVENTS_PER_BATCH} events every ${RATE_MS} ms)`,
        ...phases.map(row),
      ].join('\n'),
    )
    const [idle, heavy, shared] = phases as [Phase, Phase, Phase]
    // Every batch was acknowledged and loaded, none lost or doubled.
    expect(await countEvents(warehouse, { lane: 'ingest' })).toBe(seq)
    // Acknowledgements (fsync in the segment log) do not wait for queries.
    expect(p(heavy.ackMs, 0.95)).toBeLessThan(Math.max(250, 4 * p(idle.ackMs, 0.95)))
    // Freshness stays within the embedded target (p95 ≤ 2 s) while the queries run.
    expect(p(heavy.freshMs, 0.95)).toBeLessThan(2_000)
    // The control shows what the separation buys: sharing the session stalls loads.
    expect(p(shared.freshMs, 0.95)).toBeGreaterThan(p(heavy.freshMs, 0.95) + 1_000)
  }, 60_000)
})
