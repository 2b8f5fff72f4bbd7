/**
 * Cluster-mode ingest on this machine: sustained end-to-end throughput (signed edge batches
 * into the bridge → Kafka → writer with Redis dedup → ClickHouse, counted exactly) and
 * freshness under a paced load, for both Kafka clients, as ratios to the embedded path
 * (segment log + in-memory dedup) measured in the same run, in rotated order per round.
 *   node scripts/run.mjs exec tsx bench/cluster-throughput.ts [--events 200000] [--rounds 3]
 * Needs the machine's Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379); starts its own
 * Kafka broker. See bench/README.md.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { Agent } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { connectRedis, deleteMatching, prefixPattern } from '@sightline/state'
import { KafkaStreamConfigSchema, kafkaDriver } from '@sightline/stream'
import { startKafka } from '@sightline/testing'
import { countBytes, countEvents, type PreparedBatch, prepareBatches, signAll } from './lib/batches.ts'
import { ServerChild } from './lib/child.ts'
import { drive, epochNow, post } from './lib/load.ts'
import { startPacedLoad } from './lib/paced.ts'
import { prepareProbes } from './lib/probe.ts'
import { machineInfo } from './lib/report.ts'
import { fmt, rate, summarize } from './lib/stats.ts'

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '10000' },
    /** Background rate of the freshness phase, events/s (the issue's goal: 30,000). */
    'fresh-rate': { type: 'string', default: '30000' },
    'fresh-seconds': { type: 'string', default: '15' },
    /** Mean gap between probes during the freshness phase. */
    'probe-interval': { type: 'string', default: '200' },
    stacks: { type: 'string', default: 'embedded,kafkajs,platformatic' },
    /** Diagnostic: write a V8 CPU profile of each server child to this directory (pass --out /tmp/x too). */
    'cpu-prof': { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('./results/', import.meta.url)) },
  },
})

const EVENTS = Number(args.events)
const BATCH = Number(args.batch)
const CONCURRENCY = Number(args.concurrency)
const ROUNDS = Number(args.rounds)
const WARMUP = Number(args.warmup)
const FRESH_RATE = Number(args['fresh-rate'])
const FRESH_MS = Number(args['fresh-seconds']) * 1000
const PROBE_INTERVAL = Number(args['probe-interval'])
const STACKS = args.stacks.split(',') as Stack[]
const TARGET_E2E = 30_000
const TARGET_FRESH_P95_MS = 5_000
const PROBE_TIMEOUT_MS = 30_000
const LOAD_TIMEOUT_MS = 180_000
/** The warm-up's few thousand events take seconds; a stack that has not stored them by now is stuck. */
const STALL_TIMEOUT_MS = 60_000
const PARTITIONS = 12
const KEY_ID = 'bench'
const SECRET = randomBytes(32).toString('hex')
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const RUN_ID = randomBytes(4).toString('hex')

type Stack = 'embedded' | 'kafkajs' | 'platformatic'

interface StackRun {
  round: number
  stack: Stack
  /** Timed events answered 2xx per second (first send → last 2xx). */
  receiverEventsPerSec: number
  /** First send → SELECT count() equals warm-up + timed; 0 when it never got there. */
  endToEndEventsPerSec: number
  /** Timed events counted when the run ended (equal to `events` unless it stalled). */
  stored: number
  events: number
  failures: number
  fresh: {
    targetEventsPerSec: number
    achievedEventsPerSec: number
    probes: number
    notVisible: number
    p50: number
    p95: number
    max: number
  }
  serverCpuS: number
  serverMaxRssMb: number
  /** The writer never stored the warm-up: nothing else was measured. */
  stalled?: boolean
}

const log = (msg: string) => process.stderr.write(`[cluster-bench] ${msg}\n`)

async function runStack(
  round: number,
  stack: Stack,
  broker: { brokers: string[] },
  data: { warm: PreparedBatch[]; timed: PreparedBatch[]; fresh: PreparedBatch[] },
): Promise<StackRun> {
  const dir = await mkdtemp(join(tmpdir(), `sightline-cluster-bench-${stack}-`))
  const tag = `${RUN_ID}_${round}_${stack}`
  const topic = `bench.events.${tag}`
  const redisPrefix = `sl:bench:${tag}:`
  if (stack !== 'embedded') await createTopic(broker.brokers, topic)
  const execArgv = [...process.execArgv]
  if (args['cpu-prof']) execArgv.push('--cpu-prof', `--cpu-prof-dir=${join(args['cpu-prof'], stack)}`)
  const child = new ServerChild(
    'sightline',
    {
      BENCH_DIR: dir,
      BENCH_KEY_ID: KEY_ID,
      BENCH_SECRET: SECRET,
      BENCH_FSYNC: '1',
      BENCH_WRITER: '1',
      BENCH_STACK: stack,
      BENCH_BROKERS: broker.brokers.join(','),
      BENCH_TOPIC: topic,
      BENCH_GROUP: `writer.${tag}`,
      BENCH_REDIS_URL: REDIS_URL,
      BENCH_REDIS_PREFIX: redisPrefix,
    },
    execArgv,
  )
  try {
    const ready = await child.next('ready', 120_000)
    const warmEvents = countEvents(data.warm)
    const timedEvents = countEvents(data.timed)
    for (const batches of [data.warm, data.timed, data.fresh]) await signAll(batches, KEY_ID, SECRET)

    const warmLoaded = child.next('loaded', STALL_TIMEOUT_MS).catch(() => undefined)
    child.send({ type: 'watch', target: warmEvents })
    await drive(ready.port, data.warm, CONCURRENCY)
    if (!(await warmLoaded)) {
      log(
        `round ${round} ${stack}: the warm-up's ${fmt(warmEvents)} events were not all stored within ${STALL_TIMEOUT_MS / 1000} s (stalled)`,
      )
      return stalledRun(round, stack, timedEvents)
    }

    const loaded = child.next('loaded', LOAD_TIMEOUT_MS).catch(() => undefined)
    child.send({ type: 'watch', target: warmEvents + timedEvents })
    const load = await drive(ready.port, data.timed, CONCURRENCY)
    const done = await loaded
    const stored = done ? done.count - warmEvents : -1
    if (done && stored !== timedEvents)
      throw new Error(`${stack}: chdb has ${stored} timed events, expected ${timedEvents}`)
    const e2e = done ? rate(timedEvents, done.at - load.firstSendAt) : 0

    const fresh = await freshness(child, ready.port, data.fresh, round)
    const stopped = await child.stop(30_000)
    const result: StackRun = {
      round,
      stack,
      receiverEventsPerSec: rate(load.events, load.lastAckAt - load.firstSendAt),
      endToEndEventsPerSec: e2e,
      stored: done ? stored : Number.NaN,
      events: timedEvents,
      failures: load.failures,
      fresh,
      serverCpuS: stopped ? Math.round((stopped.cpuUserMs + stopped.cpuSystemMs) / 100) / 10 : 0,
      serverMaxRssMb: stopped?.maxRssMb ?? 0,
    }
    log(
      `round ${round} ${stack.padEnd(12)} receiver ${fmt(result.receiverEventsPerSec).padStart(7)} ev/s · end-to-end ${done ? `${fmt(e2e)} ev/s (exact)` : 'not reached in time'} · freshness at ${fmt(fresh.achievedEventsPerSec)} ev/s p50 ${fresh.p50} ms p95 ${fresh.p95} ms (${fresh.notVisible} not visible) · cpu ${result.serverCpuS} s`,
    )
    if (child.errors.length > 0) log(`  server reported: ${child.errors.slice(0, 3).join(' | ')}`)
    return result
  } finally {
    await child.stop()
    await rm(dir, { recursive: true, force: true })
    if (stack !== 'embedded') await cleanUp(redisPrefix)
  }
}

function stalledRun(round: number, stack: Stack, events: number): StackRun {
  return {
    round,
    stack,
    receiverEventsPerSec: 0,
    endToEndEventsPerSec: 0,
    stored: Number.NaN,
    events,
    failures: 0,
    fresh: {
      targetEventsPerSec: FRESH_RATE,
      achievedEventsPerSec: 0,
      probes: 0,
      notVisible: 0,
      p50: 0,
      p95: 0,
      max: 0,
    },
    serverCpuS: 0,
    serverMaxRssMb: 0,
    stalled: true,
  }
}

/** Paced background load with single-event probes, each for its own site; 2xx → visible to a SELECT. */
async function freshness(
  child: ServerChild,
  port: number,
  background: PreparedBatch[],
  round: number,
): Promise<StackRun['fresh']> {
  const probes = prepareProbes(`fresh_${RUN_ID}_${round}_`, Math.ceil(FRESH_MS / PROBE_INTERVAL) + 10)
  await signAll(
    probes.map((p) => p.batch),
    KEY_ID,
    SECRET,
  )
  const acked = new Map<string, number>()
  const seen = new Map<string, number>()
  let sendingDone = false
  const seenAll = new Promise<void>((resolve) => {
    const onSeen = (site: string, at: number) => {
      seen.set(site, at)
      if (seen.size === acked.size && sendingDone) resolve()
    }
    listenSeen(child, onSeen)
    setInterval(() => {
      if (sendingDone && seen.size >= acked.size) resolve()
    }, 100).unref()
  })
  const agent = new Agent({ keepAlive: true, maxSockets: 4 })
  const paced = startPacedLoad(port, background, FRESH_RATE)
  const started = performance.now()
  const sends: Promise<void>[] = []
  for (const probe of probes) {
    if (performance.now() - started > FRESH_MS) break
    sends.push(
      post(agent, port, probe.batch)
        .then((status) => {
          if (status >= 200 && status < 300) {
            acked.set(probe.site, epochNow())
            child.send({ type: 'expect', site: probe.site })
          }
        })
        .catch(() => undefined),
    )
    await new Promise((r) => setTimeout(r, PROBE_INTERVAL * (0.5 + Math.random())))
  }
  await Promise.all(sends)
  const load = await paced.stop()
  sendingDone = true
  await Promise.race([seenAll, new Promise((r) => setTimeout(r, PROBE_TIMEOUT_MS))])
  agent.destroy()
  const freshMs = [...acked].map(([site, at]) => (seen.has(site) ? seen.get(site)! - at : PROBE_TIMEOUT_MS))
  freshMs.sort((a, b) => a - b)
  const q = (p: number) =>
    Math.round(freshMs[Math.min(freshMs.length - 1, Math.floor(p * freshMs.length))] ?? 0)
  return {
    targetEventsPerSec: FRESH_RATE,
    achievedEventsPerSec: load.achievedEventsPerSec,
    probes: acked.size,
    notVisible: [...acked.keys()].filter((s) => !seen.has(s)).length,
    p50: q(0.5),
    p95: q(0.95),
    max: q(1),
  }
}

/** ServerChild answers one waiter per message type; `seen` arrives many times, so listen raw. */
function listenSeen(child: ServerChild, onSeen: (site: string, at: number) => void): void {
  child.onMessage((msg) => {
    if (msg.type === 'seen') onSeen(msg.site, msg.at)
  })
}

async function createTopic(brokers: string[], name: string): Promise<void> {
  const admin = kafkaDriver(KafkaStreamConfigSchema.parse({ kind: 'kafka', brokers }))
  try {
    await admin.createTopic({
      name,
      partitions: PARTITIONS,
      replicationFactor: 1,
      config: { 'max.message.bytes': '8388608' },
    })
  } finally {
    await admin.close()
  }
}

/** Redis keys go; the topic goes with the broker, whose data directory is temporary. */
async function cleanUp(redisPrefix: string): Promise<void> {
  const redis = await connectRedis(REDIS_URL)
  try {
    await deleteMatching(redis, prefixPattern(redisPrefix))
  } finally {
    redis.disconnect()
  }
}

async function main(): Promise<void> {
  const started = performance.now()
  log(`preparing ${fmt(EVENTS)} events in batches of ${BATCH} (+ ${fmt(WARMUP)} warm-up, freshness load)…`)
  const data = {
    warm: prepareBatches('cluster-warmup', WARMUP, BATCH),
    timed: prepareBatches('cluster-timed', EVENTS, BATCH),
    fresh: prepareBatches('cluster-fresh', Math.ceil((FRESH_RATE * FRESH_MS) / 1000) + 20 * BATCH, BATCH),
  }
  const bytes = countBytes(data.timed)
  log('starting the Kafka broker…')
  const broker = await startKafka()
  const runs: StackRun[] = []
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      // Rotate the order so a drifting machine does not favour one stack.
      const order = STACKS.map((_, i) => STACKS[(i + round - 1) % STACKS.length]!)
      for (const stack of order) {
        // A stack that stalled once is not run again: each stall costs a minute and says nothing new.
        if (runs.some((r) => r.stack === stack && r.stalled)) continue
        runs.push(await runStack(round, stack, broker, data))
      }
    }
  } finally {
    await broker.stop()
  }

  const per = (stack: Stack) => runs.filter((r) => r.stack === stack)
  const embeddedE2e = summarize(per('embedded').map((r) => r.endToEndEventsPerSec)).median
  const summary = STACKS.map((stack) => {
    const r = per(stack)
    const ok = r.filter((x) => !x.stalled)
    // A stack that only stalled has no figures: 0, with `stalledRounds` saying why.
    const median = (values: number[]) => (values.length > 0 ? summarize(values).median : 0)
    const e2e = median(ok.map((x) => x.endToEndEventsPerSec))
    return {
      stack,
      receiverEventsPerSec: median(ok.map((x) => x.receiverEventsPerSec)),
      endToEndEventsPerSec: e2e,
      endToEndToEmbedded: embeddedE2e > 0 ? Math.round((e2e / embeddedE2e) * 100) / 100 : 0,
      freshP50Ms: median(ok.map((x) => x.fresh.p50)),
      freshP95Ms: median(ok.map((x) => x.fresh.p95)),
      freshAchievedEventsPerSec: median(ok.map((x) => x.fresh.achievedEventsPerSec)),
      rounds: r.length,
      stalledRounds: r.filter((x) => x.stalled || x.endToEndEventsPerSec === 0).length,
      verdict: {
        throughput: e2e >= TARGET_E2E ? 'met' : 'missed',
        freshness:
          ok.length > 0 && median(ok.map((x) => x.fresh.p95)) <= TARGET_FRESH_P95_MS ? 'met' : 'missed',
      },
    }
  })
  const results = {
    benchmark: 'cluster-throughput',
    date: new Date().toISOString(),
    machine: machineInfo(),
    parameters: {
      events: countEvents(data.timed),
      batchSize: BATCH,
      bytesPerEvent: Math.round(bytes / countEvents(data.timed)),
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      warmupEvents: countEvents(data.warm),
      freshRate: FRESH_RATE,
      freshSeconds: FRESH_MS / 1000,
      probeIntervalMs: PROBE_INTERVAL,
      partitions: PARTITIONS,
      stacks: STACKS,
    },
    targets: { endToEndEventsPerSec: TARGET_E2E, freshnessP95Ms: TARGET_FRESH_P95_MS },
    summary,
    runs,
  }
  mkdirSync(args.out, { recursive: true })
  writeFileSync(join(args.out, 'cluster-throughput.json'), `${JSON.stringify(results, null, 2)}\n`)
  writeFileSync(join(args.out, 'cluster-throughput.md'), markdown(results))
  for (const s of summary)
    log(
      `${s.stack}: end-to-end ${fmt(s.endToEndEventsPerSec)} ev/s (×${s.endToEndToEmbedded} embedded, ${s.verdict.throughput}) · freshness p95 ${s.freshP95Ms} ms (${s.verdict.freshness})`,
    )
  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`)
}

function markdown(r: {
  date: string
  machine: ReturnType<typeof machineInfo>
  parameters: Record<string, unknown>
  summary: Array<Record<string, unknown> & { verdict: { throughput: string; freshness: string } }>
}): string {
  const p = r.parameters
  const m = r.machine
  const rows = r.summary.map((s) =>
    s.stalledRounds === s.rounds
      ? `| ${s.stack} | stalled | stalled | — | missed | — | — | missed | ${s.stalledRounds} |`
      : `| ${s.stack} | ${fmt(s.receiverEventsPerSec as number)} | ${fmt(s.endToEndEventsPerSec as number)} | ${s.endToEndToEmbedded}× | ${s.verdict.throughput} | ${fmt(s.freshAchievedEventsPerSec as number)} | ${s.freshP50Ms} / ${s.freshP95Ms} | ${s.verdict.freshness} | ${s.stalledRounds} |`,
  )
  return [
    '# Cluster-mode ingest (Kafka + Redis) vs embedded',
    '',
    `${r.date} · ${m.cpus} × ${m.cpuModel} · Node ${m.node}${m.commit ? ` · ${m.commit}` : ''}`,
    '',
    `${fmt(p.events as number)} signed edge batches' events per run (batches of ${p.batchSize}, ~${p.bytesPerEvent} B/event, ${p.concurrency} in flight, + ${fmt(p.warmupEvents as number)} warm-up), ${p.rounds} rounds in rotated order, one Kafka 4.4.0 broker (${p.partitions} partitions) and the machine's Redis, all on this 2-core machine. Medians.`,
    '',
    '| stack | receiver ev/s | end-to-end ev/s | e2e vs embedded | ≥ 30k | freshness load ev/s | freshness p50 / p95 ms | p95 ≤ 5 s | stalled rounds |',
    '| --- | ---: | ---: | ---: | --- | ---: | ---: | --- | ---: |',
    ...rows,
    '',
    '- embedded: segment log (fsync) + in-memory dedup, as `npm start`. kafkajs (gzip) and @platformatic/kafka (lz4): the bridge spools in front of Kafka as deployed, the writer dedups through Redis with the local filter, acks=all.',
    '- End-to-end: first request sent → `SELECT count() FROM events` equals warm-up + timed events, checked exact; a stack whose writer had not stored the warm-up within a minute is a stalled round, measured no further and not repeated.',
    `- Freshness: ${p.freshSeconds} s of open-loop background load at ${fmt(p.freshRate as number)} ev/s target with a single-event probe every ~${p.probeIntervalMs} ms, each for its own site; freshness = probe's 2xx → first warehouse SELECT (polled every 25 ms) that sees it. A probe not seen within 30 s after the load stopped counts as 30 s; one seen later counts as seen.`,
    '- Receiver, writer and ClickHouse (chdb) run in one process per stack, as in the hub; the broker, Redis and the load client share the same 2 cores.',
    '',
  ].join('\n')
}

main().catch((err) => {
  log(`failed: ${err?.stack ?? err}`)
  process.exit(1)
})
