// The front door, measured from outside as real clients send: a real `npm start` stack
// (launcher/src/start.ts on free ports, fresh data dir) driven with Segment batches of 50
// (Basic auth, /v1/batch), single-event beacons (/v1/b, text/plain) and pixels
// (GET /v1/p.gif), against a bare node:http + JSON.parse server driven by the same load
// generator in the same run. Reports events/s, requests/s and CPU per event per process
// (from /proc). See bench/README.md.
//
//   node scripts/run.mjs exec tsx bench/front-door.ts [--runs 3] [--seconds 15]
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { launcherPorts, startSightline } from '../launcher/test/launcher-harness.ts'
import { drivePhase, type Kind, type PhaseLoad, requestFactory } from './lib/front-door-load.ts'
import { renderFrontDoor } from './lib/front-door-report.ts'
import { cpuOf, type ProcInfo, processTree, roleOf } from './lib/proc-cpu.ts'
import { machineInfo } from './lib/report.ts'

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '15' },
    kinds: { type: 'string', default: 'segment,beacon,pixel' },
    'segment-clients': { type: 'string', default: '8' },
    'browser-clients': { type: 'string', default: '16' },
    batch: { type: 'string', default: '50' },
    out: { type: 'string', default: fileURLToPath(new URL('./results/', import.meta.url)) },
    'keep-data': { type: 'boolean', default: false },
    /** workerd (npm start's default) or wrangler (wrangler dev, its dev proxy in front). */
    'edge-runtime': { type: 'string', default: 'workerd' },
  },
})
const RUNS = Number(args.runs)
const DURATION_MS = Number(args.seconds) * 1000
const KINDS = args.kinds!.split(',') as Kind[]
const BATCH = Number(args.batch)
const concurrencyOf = (kind: Kind) =>
  Number(kind === 'segment' ? args['segment-clients'] : args['browser-clients'])
const root = fileURLToPath(new URL('..', import.meta.url))
const log = (msg: string) => process.stderr.write(`[front-door] ${msg}\n`)

/**
 * The bench site's data dir, written before the first start. Its rate limits are raised
 * (a large site sets its own): the limiter still counts every request, but at these rates
 * the default 60,000 per key per minute would refuse most of the load.
 */
function seedDataDir(dir: string): { writeKey: string; readKey: string } {
  const writeKey = `wk_bench_${randomBytes(9).toString('base64url')}`
  const readKey = `rk_bench_${randomBytes(9).toString('base64url')}`
  const state = {
    version: 1,
    signing: { key_id: 'k1', key: randomBytes(32).toString('base64url') },
    metrics_token: `mt_${randomBytes(18).toString('base64url')}`,
    sites: [
      {
        site_id: 'bench',
        name: 'Front-door benchmark',
        write_keys: [writeKey],
        read_keys: [readKey],
        rate_limit: { per_key_per_minute: 100_000_000, per_ip_per_minute: 100_000_000 },
      },
    ],
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  writeFileSync(join(dir, 'sightline.json'), JSON.stringify(state, null, 2), { mode: 0o600 })
  return { writeKey, readKey }
}

async function startStack(dataDir: string) {
  const ports = await launcherPorts()
  const running = await startSightline(dataDir, ports, { args: ['--edge-runtime', args['edge-runtime']!] })
  return { child: running.child, ports }
}

async function startBaseline(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/lib/bare-http.ts')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const line = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout! }).once('line', resolve),
  )
  return { child, port: JSON.parse(line).port }
}

export interface PhaseResult extends PhaseLoad {
  run: number
  kind: Kind
  target: 'baseline' | 'sightline'
  eventsPerSec: number
  requestsPerSec: number
  /** CPU ms per role over the phase, and µs per event. */
  cpuMsByRole: Record<string, number>
  cpuUsPerEventByRole: Record<string, number>
  loadAvg1: number
}

async function phase(
  run: number,
  kind: Kind,
  target: PhaseResult['target'],
  port: number,
  writeKey: string,
  procs: ProcInfo[],
): Promise<PhaseResult> {
  const pids = procs.map((p) => p.pid)
  const before = cpuOf(pids)
  const load = await drivePhase(port, requestFactory(kind, writeKey, BATCH), concurrencyOf(kind), DURATION_MS)
  const after = cpuOf(pids)
  const cpuMsByRole: Record<string, number> = {}
  for (const p of procs) {
    const used = (after.get(p.pid) ?? 0) - (before.get(p.pid) ?? 0)
    const role = roleOf(p)
    cpuMsByRole[role] = (cpuMsByRole[role] ?? 0) + used
  }
  cpuMsByRole['load client'] = load.clientCpuMs
  const cpuUsPerEventByRole = Object.fromEntries(
    Object.entries(cpuMsByRole).map(([role, ms]) => [
      role,
      Math.round((ms * 1000) / Math.max(1, load.events)),
    ]),
  )
  const seconds = load.elapsedMs / 1000
  const result: PhaseResult = {
    run,
    kind,
    target,
    ...load,
    eventsPerSec: Math.round(load.events / seconds),
    requestsPerSec: Math.round(load.requests / seconds),
    cpuMsByRole,
    cpuUsPerEventByRole,
    loadAvg1: Number(loadavg()[0]!.toFixed(2)),
  }
  log(
    `run ${run} ${kind} ${target}: ${result.eventsPerSec} events/s, ${result.requestsPerSec} req/s, ` +
      `${load.failures} failures ${JSON.stringify(load.statuses)}, cpu µs/event ${JSON.stringify(cpuUsPerEventByRole)}`,
  )
  return result
}

async function countedEvents(queryPort: number, readKey: string): Promise<number> {
  const res = await fetch(
    `http://127.0.0.1:${queryPort}/v1/sites/bench/stats?include_bots=true&from=2000-01-01T00:00:00Z`,
    { headers: { authorization: `Bearer ${readKey}` } },
  )
  if (!res.ok) throw new Error(`stats ${res.status}: ${await res.text()}`)
  return ((await res.json()) as { events: number }).events
}

const dataDir = mkdtempSync(join(tmpdir(), 'sightline-front-door-'))
const keys = seedDataDir(dataDir)
log(`starting the stack in ${dataDir} and the baseline…`)
const stack = await startStack(dataDir)
const baseline = await startBaseline()
const results: PhaseResult[] = []
let acked = 0
let counted = -1
try {
  const stackProcs = processTree(stack.child.pid!)
  log(`stack processes: ${stackProcs.map((p) => `${p.pid} ${roleOf(p)}`).join(', ')}`)
  const baseProcs = processTree(baseline.child.pid!)
  // Warm-up: JITs, connection pools, the writer's first inserts.
  for (const kind of KINDS) {
    await drivePhase(
      stack.ports.edge,
      requestFactory(kind, keys.writeKey, BATCH),
      concurrencyOf(kind),
      2000,
    ).then((l) => (acked += l.events))
    await drivePhase(baseline.port, requestFactory(kind, keys.writeKey, BATCH), concurrencyOf(kind), 1000)
  }
  for (let run = 1; run <= RUNS; run++) {
    for (const kind of KINDS) {
      // Alternate which goes first, so drift in the machine's load does not favour one side.
      const order =
        run % 2 === 1 ? (['baseline', 'sightline'] as const) : (['sightline', 'baseline'] as const)
      for (const target of order) {
        const r =
          target === 'baseline'
            ? await phase(run, kind, target, baseline.port, keys.writeKey, baseProcs)
            : await phase(run, kind, target, stack.ports.edge, keys.writeKey, stackProcs)
        if (target === 'sightline') acked += r.events
        results.push(r)
      }
    }
  }
  // Every acknowledged event must become countable (2xx means durable, not "seen").
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    counted = await countedEvents(stack.ports.query, keys.readKey)
    if (counted >= acked) break
    await new Promise((r) => setTimeout(r, 1000))
  }
  log(`acknowledged ${acked} events through the edge; counted ${counted} in the warehouse`)
} finally {
  baseline.child.kill('SIGTERM')
  stack.child.kill('SIGINT')
  await new Promise((r) => stack.child.once('exit', r))
  if (!args['keep-data']) rmSync(dataDir, { recursive: true, force: true })
}

const doc = {
  benchmark: 'front-door',
  date: new Date().toISOString(),
  machine: { ...machineInfo(), loadAvgAtEnd: loadavg().map((l) => Number(l.toFixed(2))) },
  parameters: {
    runs: RUNS,
    secondsPerPhase: DURATION_MS / 1000,
    kinds: KINDS,
    segmentBatch: BATCH,
    segmentClients: concurrencyOf('segment'),
    browserClients: concurrencyOf('beacon'),
    edgeRuntime: args['edge-runtime'],
  },
  delivery: { ackedEvents: acked, countedEvents: counted, allCounted: counted >= acked },
  runs: results,
}
mkdirSync(args.out!, { recursive: true })
writeFileSync(join(args.out!, 'front-door.json'), `${JSON.stringify(doc, null, 2)}\n`)
const md = renderFrontDoor(doc)
writeFileSync(join(args.out!, 'front-door.md'), md)
process.stdout.write(md)
