// Freshness, embedded: a batch's 2xx → its event counted by the query service over HTTP,
// under a steady background load (target: p95 ≤ 2 s embedded). See bench/README.md.
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { Agent } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { hubEnv } from '../launcher/src/processes.ts'
import { countBytes, countEvents, prepareBatches, signAll } from './lib/batches.ts'
import { ServerChild } from './lib/child.ts'
import { type PacedResult, startPacedLoad } from './lib/paced.ts'
import { type ProbeResult, prepareProbes, runProbe } from './lib/probe.ts'
import { machineInfo } from './lib/report.ts'
import { fmt } from './lib/stats.ts'

const { values: args } = parseArgs({
  options: {
    /** Background load levels, events/s, comma-separated; each runs in a fresh hub. */
    rates: { type: 'string', default: '5000,20000' },
    probes: { type: 'string', default: '50' },
    'warmup-probes': { type: 'string', default: '10' },
    /** Mean gap between probe sends (jittered ×0.5–1.5 so probes do not lock to the writer's cycle). */
    'probe-interval': { type: 'string', default: '120' },
    poll: { type: 'string', default: '20' },
    /**
     * Probes being polled at once. Each polls every `poll` ms, and the embedded query service
     * runs one read at a time: unbounded, the probes' own polls queued behind each other and
     * the bench measured its own pile-up (thousands of throttled polls at 5k events/s).
     */
    'probes-in-flight': { type: 'string', default: '4' },
    /** Background load alone before the first (warm-up) probe. */
    'warmup-ms': { type: 'string', default: '2000' },
    batch: { type: 'string', default: '100' },
    'max-wait': { type: 'string', default: '200' },
    'timeout-ms': { type: 'string', default: '30000' },
    /** Folder for a V8 CPU profile of each level's server process (summarise with bench/lib/top-frames.ts). */
    'cpu-prof': { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('./results/', import.meta.url)) },
  },
})

const RATES = args.rates.split(',').map(Number)
const PROBES = Number(args.probes)
const WARM_PROBES = Number(args['warmup-probes'])
const INTERVAL = Number(args['probe-interval'])
const POLL = Number(args.poll)
const PROBES_IN_FLIGHT = Math.max(1, Number(args['probes-in-flight']))
const WARMUP_MS = Number(args['warmup-ms'])
const BATCH = Number(args.batch)
const MAX_WAIT = Number(args['max-wait'])
const TIMEOUT = Number(args['timeout-ms'])
const TARGET_P95 = 2000
const TAIL_MS = 5000
const KEY_ID = 'bench'
const SECRET = randomBytes(32).toString('hex')
const READ_KEY = `rk_${randomBytes(16).toString('hex')}`
const ENTRY = fileURLToPath(new URL('./lib/freshness-child.ts', import.meta.url))

const log = (msg: string) => process.stderr.write(`[freshness] ${msg}\n`)

interface Dist {
  n: number
  p50: number
  p95: number
  p99: number
  max: number
  min: number
  mean: number
}

function dist(values: number[]): Dist {
  const s = [...values].sort((a, b) => a - b)
  // Nearest rank: p95 of 100 samples is the 95th smallest.
  const q = (p: number) => s[Math.max(0, Math.ceil(p * s.length) - 1)] ?? 0
  const r = (x: number) => Math.round(x * 10) / 10
  return {
    n: s.length,
    p50: r(q(0.5)),
    p95: r(q(0.95)),
    p99: r(q(0.99)),
    max: r(s.at(-1) ?? 0),
    min: r(s[0] ?? 0),
    mean: r(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
  }
}

interface LevelResult {
  targetEventsPerSec: number
  load: PacedResult
  freshnessMs: Dist
  verdict: 'met' | 'missed'
  probes: {
    sent: number
    timed: number
    notVisible: number
    failed: number
    pollsPerProbe: number
    /** Polls answered 429 (too many stats queries in flight for the read key) and retried. */
    throttledPolls: number
  }
  statsQueryMs: Dist
  ackMs: Dist
  inserts: { calls: number; rows: number; medianMs: number; p95Ms: number; maxMs: number; maxRows: number }
  server: {
    startupMs: number
    cpuMs?: number
    maxRssMb?: number
    eventLoopDelayMs?: { p50: number; p99: number; max: number }
  }
  raw: ProbeResult[]
}

async function runLevel(rate: number, pool: ReturnType<typeof prepareBatches>): Promise<LevelResult> {
  const prefix = `probe_${rate}_`
  const probes = prepareProbes(prefix, WARM_PROBES + PROBES)
  const dir = await mkdtemp(join(tmpdir(), 'sightline-freshness-'))
  const child = new ServerChild(
    'sightline',
    {
      // The libuv pool the launcher gives the hub (reads, inserts and fsyncs share it).
      UV_THREADPOOL_SIZE: hubEnv(process.env).UV_THREADPOOL_SIZE!,
      BENCH_DIR: dir,
      BENCH_KEY_ID: KEY_ID,
      BENCH_SECRET: SECRET,
      BENCH_READ_KEY: READ_KEY,
      BENCH_PROBE_SITES: probes.map((p) => p.site).join(','),
      BENCH_MAX_WAIT_MS: String(MAX_WAIT),
    },
    args['cpu-prof']
      ? [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${join(args['cpu-prof'], String(rate))}`]
      : process.execArgv,
    ENTRY,
  )
  const ingest = new Agent({ keepAlive: true, maxSockets: 32 })
  const query = new Agent({ keepAlive: true, maxSockets: 32 })
  try {
    const ready = await child.next('ready', 120_000)
    await signAll(pool, KEY_ID, SECRET)
    await signAll(
      probes.map((p) => p.batch),
      KEY_ID,
      SECRET,
    )
    const now = Date.now()
    const target = {
      bridgePort: ready.port,
      queryPort: ready.queryPort!,
      readKey: READ_KEY,
      // Probe events are stamped into [received − 24 h, received] by the edge's skew correction.
      from: new Date(now - 3 * 86_400_000),
      to: new Date(now + 3_600_000),
      pollMs: POLL,
      timeoutMs: TIMEOUT,
    }
    const load = startPacedLoad(ready.port, pool, rate)
    await new Promise((r) => setTimeout(r, WARMUP_MS))
    const tasks: Promise<ProbeResult>[] = []
    const polling = new Set<Promise<ProbeResult>>()
    for (let i = 0; i < probes.length; i++) {
      while (polling.size >= PROBES_IN_FLIGHT) await Promise.race(polling)
      // A probe sent after the background load ended would time an idle server.
      if (load.exhausted) {
        log(`  the background pool ran out after ${i} probes; the rest are not sent`)
        break
      }
      const task = runProbe(probes[i]!, target, { ingest, query }, i < WARM_PROBES)
      tasks.push(task)
      polling.add(task)
      task.finally(() => polling.delete(task)).catch(() => {})
      await new Promise((r) => setTimeout(r, INTERVAL * (0.5 + Math.random())))
    }
    const raw = await Promise.all(tasks)
    const loadResult = await load.stop()
    const stopped = await child.stop()
    if (child.errors.length > 0) log(`  server reported: ${child.errors.slice(0, 3).join(' | ')}`)
    const timed = raw.filter((r) => !r.warmup)
    const visible = timed.filter((r) => r.freshnessMs !== undefined)
    const notVisible = timed.filter((r) => r.status >= 200 && r.status < 300 && r.freshnessMs === undefined)
    // A probe that never became visible counts as the timeout, so it can only push p95 up.
    const freshness = dist([...visible.map((r) => r.freshnessMs!), ...notVisible.map(() => TIMEOUT)])
    const ins = stopped?.insertDurationsMs ?? []
    const insDist = dist(ins)
    return {
      targetEventsPerSec: rate,
      load: loadResult,
      freshnessMs: freshness,
      // Met only with every planned probe timed: a level that ran out of load before its
      // probes were done has not shown anything.
      verdict:
        freshness.p95 <= TARGET_P95 && notVisible.length === 0 && timed.length >= PROBES ? 'met' : 'missed',
      probes: {
        sent: raw.length,
        timed: timed.length,
        notVisible: notVisible.length,
        failed: timed.filter((r) => r.status < 200 || r.status >= 300).length,
        pollsPerProbe:
          Math.round((timed.reduce((n, r) => n + r.polls, 0) / Math.max(1, timed.length)) * 10) / 10,
        throttledPolls: timed.reduce((n, r) => n + r.throttled, 0),
      },
      statsQueryMs: dist(timed.map((r) => r.meanQueryMs)),
      ackMs: dist(timed.map((r) => r.ackAt - r.sentAt)),
      inserts: {
        calls: stopped?.inserts.calls ?? 0,
        rows: stopped?.inserts.rows ?? 0,
        medianMs: insDist.p50,
        p95Ms: insDist.p95,
        maxMs: insDist.max,
        maxRows: stopped?.inserts.maxRows ?? 0,
      },
      server: {
        startupMs: ready.startupMs,
        ...(stopped ? { cpuMs: stopped.cpuUserMs + stopped.cpuSystemMs, maxRssMb: stopped.maxRssMb } : {}),
        ...(stopped?.eventLoopDelayMs ? { eventLoopDelayMs: stopped.eventLoopDelayMs } : {}),
      },
      raw,
    }
  } finally {
    ingest.destroy()
    query.destroy()
    await child.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

function markdown(r: {
  date: string
  machine: ReturnType<typeof machineInfo>
  parameters: Record<string, unknown>
  levels: Omit<LevelResult, 'raw'>[]
  notes: string[]
}): string {
  const m = r.machine
  const lines = [
    '# Freshness (embedded)',
    '',
    `${r.date} · ${m.cpus} × ${m.cpuModel} · Node ${m.node}${m.commit ? ` · ${m.commit}` : ''}`,
    '',
    `Freshness = first stats answer counting the probe − the probe's 2xx. ${PROBES} timed probes per level`,
    `(+ ${WARM_PROBES} warm-up), one single-event edge batch each, every ~${INTERVAL} ms, at most ${PROBES_IN_FLIGHT} in flight; stats polled every ${POLL} ms.`,
    `Writer maxWaitMs ${MAX_WAIT}. Target: p95 ≤ ${fmt(TARGET_P95)} ms.`,
    '',
    '| background load (target → achieved ev/s) | p50 ms | p95 ms | p99 ms | max ms | not visible | target | median insert ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
    ...r.levels.map(
      (l) =>
        `| ${fmt(l.targetEventsPerSec)} → ${fmt(l.load.achievedEventsPerSec)} | ${l.freshnessMs.p50} | ${l.freshnessMs.p95} | ${l.freshnessMs.p99} | ${l.freshnessMs.max} | ${l.probes.notVisible} | p95 ≤ 2 s: **${l.verdict}** | ${l.inserts.medianMs} |`,
    ),
    '',
    '| level | 2xx p50 / p99 ms | stats query p50 ms | polls / probe | inserts (median / p95 / max ms, ≤ rows) | load skipped / failed | server CPU s | event-loop delay p50 / p99 / max ms |',
    '| --- | --- | ---: | ---: | --- | --- | ---: | --- |',
    ...r.levels.map(
      (l) =>
        `| ${fmt(l.targetEventsPerSec)} | ${l.ackMs.p50} / ${l.ackMs.p99} | ${l.statsQueryMs.p50} | ${l.probes.pollsPerProbe} | ${l.inserts.calls} × (${l.inserts.medianMs} / ${l.inserts.p95Ms} / ${l.inserts.maxMs}, ≤ ${fmt(l.inserts.maxRows)}) | ${l.load.skipped} / ${l.load.failures}${l.load.exhausted ? ' (pool ran out)' : ''} | ${((l.server.cpuMs ?? 0) / 1000).toFixed(1)} | ${l.server.eventLoopDelayMs ? `${l.server.eventLoopDelayMs.p50} / ${l.server.eventLoopDelayMs.p99} / ${l.server.eventLoopDelayMs.max}` : '–'} |`,
    ),
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
  ]
  return lines.join('\n')
}

async function main(): Promise<void> {
  const started = performance.now()
  const maxRate = Math.max(...RATES)
  // Probes wait for a free slot (probes-in-flight), so a level runs longer than its probe
  // interval alone says: each slot is planned to be busy for the freshness target, and a
  // level that still runs out stops probing (and is not called met).
  const perProbeMs = Math.max(INTERVAL, TARGET_P95 / PROBES_IN_FLIGHT)
  const plannedMs = WARMUP_MS + (WARM_PROBES + PROBES) * perProbeMs + TAIL_MS
  const poolEvents = Math.ceil((maxRate * plannedMs) / 1000)
  log(`preparing ${fmt(poolEvents)} background events in batches of ${BATCH} (reused by every level)…`)
  const pool = prepareBatches('freshness-bg', poolEvents, BATCH)
  const bytes = countBytes(pool)
  log(
    `prepared ${pool.length} batches, ${(bytes / 2 ** 20).toFixed(1)} MiB in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  )
  const levels: LevelResult[] = []
  for (const rate of RATES) {
    const l = await runLevel(rate, pool)
    levels.push(l)
    log(
      `${fmt(rate)} ev/s (achieved ${fmt(l.load.achievedEventsPerSec)}): freshness p50 ${l.freshnessMs.p50} · p95 ${l.freshnessMs.p95} · p99 ${l.freshnessMs.p99} · max ${l.freshnessMs.max} ms (${l.verdict}); ${l.inserts.calls} inserts, median ${l.inserts.medianMs} ms; stats query p50 ${l.statsQueryMs.p50} ms; loop delay p99 ${l.server.eventLoopDelayMs?.p99 ?? '–'} ms; ${l.probes.throttledPolls} polls throttled; ${l.probes.notVisible} not visible${l.load.exhausted ? '; pool ran out' : ''}`,
    )
  }
  const results = {
    benchmark: 'freshness',
    date: new Date().toISOString(),
    machine: machineInfo(),
    parameters: {
      rates: RATES,
      probes: PROBES,
      warmupProbes: WARM_PROBES,
      probeIntervalMs: INTERVAL,
      pollMs: POLL,
      probesInFlight: PROBES_IN_FLIGHT,
      warmupMs: WARMUP_MS,
      batchSize: BATCH,
      bytesPerEvent: Math.round(bytes / countEvents(pool)),
      poolEvents: countEvents(pool),
      writerMaxWaitMs: MAX_WAIT,
      writerMaxRecords: 400,
      fsync: true,
      timeoutMs: TIMEOUT,
      client:
        'node:http keep-alive Agents, parent process (open-loop background load ≤ 64 in flight, probes, stats polls)',
      server:
        'forked child per level: bridge + segment log (fsync) + writer (memoryDedup) + chdb + query service',
    },
    targets: { p95Ms: TARGET_P95 },
    context: {
      writerMaxWaitMs: MAX_WAIT,
      medianInsertMs: levels.map((l) => ({ rate: l.targetEventsPerSec, ms: l.inserts.medianMs })),
      baseline:
        'None: freshness has no bare equivalent (a server without a log, writer and warehouse makes nothing visible). The floor it is read against is the writer maxWaitMs + one insert + one poll.',
    },
    levels: levels.map(({ raw: _raw, ...l }) => l),
    verdict: levels.every((l) => l.verdict === 'met') ? 'met' : 'missed',
    notes: [
      'Probe: one single-event edge batch for its own site (`probe_<rate>_<n>`); visible = GET /v1/sites/<site>/stats?include_bots=true answers events ≥ 1.',
      'visible_at is when that answer arrived, so freshness includes up to one poll interval plus one stats query.',
      'Background load: pre-generated, signed, edge-stamped batches (~1 KB/event) sent open-loop at the target rate; achieved = events answered 2xx per second.',
      'A probe not visible within the timeout counts as the timeout. Warm-up probes are excluded.',
      'No geo lookup and silent loggers (as in ingest-throughput); the hub adds DB-IP geo in the receiver and pino request logs.',
    ],
    raw: Object.fromEntries(levels.map((l) => [String(l.targetEventsPerSec), l.raw])),
  }
  mkdirSync(args.out, { recursive: true })
  const json = join(args.out, 'freshness.json')
  const md = join(args.out, 'freshness.md')
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`)
  writeFileSync(md, markdown(results))
  log(`wrote ${json} and ${md} in ${((performance.now() - started) / 1000).toFixed(0)} s`)
}

main().catch((err) => {
  log(`failed: ${err?.stack ?? err}`)
  process.exit(1)
})
