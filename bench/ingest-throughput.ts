// Embedded ingest throughput as a ratio against a bare node:http + JSON.parse baseline
// measured in the same run (docs/performance.md, "Targets"). See bench/README.md.
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { countBytes, countEvents, type PreparedBatch, prepareBatches, signAll } from './lib/batches.ts'
import { ServerChild } from './lib/child.ts'
import { drive } from './lib/load.ts'
import type { ServerMode } from './lib/protocol.ts'
import { machineInfo, type PhaseRun, type Results, writeResults } from './lib/report.ts'
import { fmt, rate, summarize } from './lib/stats.ts'

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '64' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '10000' },
    'no-fsync': { type: 'boolean', default: false },
    /** Diagnostic: no writer in the Sightline server, so only the receiver is measured. */
    'receiver-only': { type: 'boolean', default: false },
    /** Write a V8 CPU profile of each Sightline server child to this directory. */
    'cpu-prof': { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('./results/', import.meta.url)) },
  },
})

const EVENTS = Number(args.events)
const BATCH = Number(args.batch)
const CONCURRENCY = Number(args.concurrency)
const RUNS = Number(args.runs)
const WARMUP = Number(args.warmup)
const FSYNC = !args['no-fsync']
const WRITER = !args['receiver-only']
const TARGET_RATIO = 0.8
const TARGET_E2E = 50_000
const KEY_ID = 'bench'
const SECRET = randomBytes(32).toString('hex')

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`)

async function runPhase(
  run: number,
  mode: ServerMode,
  warm: PreparedBatch[],
  timed: PreparedBatch[],
): Promise<PhaseRun> {
  const dir = await mkdtemp(join(tmpdir(), `sightline-bench-${mode}-`))
  const execArgv = [...process.execArgv]
  if (args['cpu-prof'] && mode === 'sightline')
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`)
  const child = new ServerChild(
    mode,
    {
      BENCH_DIR: dir,
      BENCH_KEY_ID: KEY_ID,
      BENCH_SECRET: SECRET,
      BENCH_FSYNC: FSYNC ? '1' : '0',
      BENCH_WRITER: WRITER ? '1' : '0',
    },
    execArgv,
  )
  try {
    const ready = await child.next('ready', 120_000)
    const warmEvents = countEvents(warm)
    const timedEvents = countEvents(timed)
    // Signatures carry a timestamp with a 5-minute window: sign right before each run, untimed.
    await signAll(warm, KEY_ID, SECRET)
    await signAll(timed, KEY_ID, SECRET)
    // Warm-up (JIT, sockets, first chdb parts) with distinct message ids, fully loaded first.
    const e2e = mode === 'sightline' && WRITER
    const warmLoaded = e2e ? child.next('loaded', 60_000) : undefined
    if (e2e) child.send({ type: 'watch', target: warmEvents })
    await drive(ready.port, warm, CONCURRENCY)
    await warmLoaded

    const loaded = e2e ? child.next('loaded', 180_000) : undefined
    if (e2e) child.send({ type: 'watch', target: warmEvents + timedEvents })
    const load = await drive(ready.port, timed, CONCURRENCY)
    const receiverMs = load.lastAckAt - load.firstSendAt
    const result: PhaseRun = {
      run,
      mode,
      startupMs: ready.startupMs,
      events: load.events,
      requests: load.requests,
      failures: load.failures,
      receiverEventsPerSec: rate(load.events, receiverMs),
      latencyMs: load.latencyMs,
    }
    let line = `run ${run} ${mode.padEnd(9)} receiver ${fmt(result.receiverEventsPerSec).padStart(8)} ev/s (${(receiverMs / 1000).toFixed(2)} s, p50 ${load.latencyMs.p50} ms, p99 ${load.latencyMs.p99} ms)`
    if (loaded) {
      const done = await loaded
      const e2eMs = done.at - load.firstSendAt
      result.endToEndMs = Math.round(e2eMs)
      result.endToEndEventsPerSec = rate(timedEvents, e2eMs)
      result.finalCount = done.count - warmEvents
      if (result.finalCount !== timedEvents)
        throw new Error(`chdb has ${result.finalCount} timed events, expected ${timedEvents}`)
      line += ` · end-to-end ${fmt(result.endToEndEventsPerSec)} ev/s (${(e2eMs / 1000).toFixed(2)} s, count ${fmt(done.count)} exact)`
    }
    if (load.failures > 0) line += ` · ${load.failures} non-2xx retried`
    const stopped = await child.stop()
    if (stopped) {
      result.serverCpuMs = stopped.cpuUserMs + stopped.cpuSystemMs
      result.serverMaxRssMb = stopped.maxRssMb
      line += ` · server cpu ${(result.serverCpuMs / 1000).toFixed(1)} s, rss ${stopped.maxRssMb} MB`
      if (stopped.inserts.calls > 0) {
        result.inserts = stopped.inserts
        const i = stopped.inserts
        line += ` · ${i.calls} inserts (≤${fmt(i.maxRows)} rows) took ${(i.ms / 1000).toFixed(1)} s`
      }
    }
    log(line)
    if (child.errors.length > 0) log(`  server reported: ${child.errors.slice(0, 3).join(' | ')}`)
    return result
  } finally {
    await child.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const started = performance.now()
  log(`preparing ${fmt(EVENTS)} events in batches of ${BATCH} (+ ${fmt(WARMUP)} warm-up)…`)
  const timed = prepareBatches('bench-timed', EVENTS, BATCH)
  const warm = prepareBatches('bench-warmup', WARMUP, BATCH)
  const bytes = countBytes(timed)
  log(
    `prepared ${timed.length} batches, ${(bytes / 2 ** 20).toFixed(1)} MiB (${Math.round(bytes / countEvents(timed))} B/event) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  )

  const runs: PhaseRun[] = []
  for (let run = 1; run <= RUNS; run++) {
    // Alternate the order so a drifting machine does not favour one phase.
    const order: ServerMode[] = run % 2 ? ['baseline', 'sightline'] : ['sightline', 'baseline']
    for (const mode of order) runs.push(await runPhase(run, mode, warm, timed))
  }

  const baseline = runs.filter((r) => r.mode === 'baseline')
  const sightline = runs.filter((r) => r.mode === 'sightline')
  const medians = {
    baseline: summarize(baseline.map((r) => r.receiverEventsPerSec)),
    receiver: summarize(sightline.map((r) => r.receiverEventsPerSec)),
    endToEnd: summarize(sightline.map((r) => r.endToEndEventsPerSec ?? 0)),
  }
  const perRun = sightline.map((s) => {
    const b = baseline.find((x) => x.run === s.run)
    return b ? Math.round((s.receiverEventsPerSec / b.receiverEventsPerSec) * 1000) / 1000 : 0
  })
  const receiverToBaseline = Math.round((medians.receiver.median / medians.baseline.median) * 1000) / 1000
  const results: Results = {
    benchmark: 'ingest-throughput',
    date: new Date().toISOString(),
    machine: machineInfo(),
    parameters: {
      events: countEvents(timed),
      batchSize: BATCH,
      batches: timed.length,
      bytesPerEvent: Math.round(bytes / countEvents(timed)),
      concurrency: CONCURRENCY,
      runs: RUNS,
      warmupEvents: countEvents(warm),
      fsync: FSYNC,
      writer: WRITER,
      client: 'node:http keep-alive Agent, parent process',
      server: 'forked child per run (fresh heap, fresh chdb path)',
    },
    runs,
    medians,
    ratios: { receiverToBaseline, perRun },
    targets: { receiverToBaseline: TARGET_RATIO, endToEndEventsPerSec: TARGET_E2E },
    verdict: {
      receiver: receiverToBaseline >= TARGET_RATIO ? 'met' : 'missed',
      endToEnd: medians.endToEnd.median >= TARGET_E2E ? 'met' : 'missed',
    },
    notes: [
      'Receiver: first request sent → last 2xx (a 2xx means the batch was fsynced to the segment log).',
      'End-to-end: first request sent → `SELECT count() FROM events` equals warm-up + timed events (checked exact).',
      'The writer runs during the receiver phase too, as in `npm start` (one process: receiver + writer + chdb).',
      'Client and server share the 2 cores; the client is identical for both phases.',
    ],
  }
  const files = writeResults(args.out, results)
  log(
    `baseline ${fmt(medians.baseline.median)} ev/s · receiver ${fmt(medians.receiver.median)} ev/s (×${receiverToBaseline.toFixed(2)}, target ≥ ${TARGET_RATIO}: ${results.verdict.receiver}) · end-to-end ${fmt(medians.endToEnd.median)} ev/s (target ≥ ${fmt(TARGET_E2E)}: ${results.verdict.endToEnd})`,
  )
  log(`wrote ${files.json} and ${files.md} in ${((performance.now() - started) / 1000).toFixed(0)} s`)
}

main().catch((err) => {
  log(`failed: ${err?.stack ?? err}`)
  process.exit(1)
})
