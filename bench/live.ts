// Live API under load, measured from outside: a real `npm start` stack (launcher on free
// ports, fresh data dir), N WebSocket subscribers (events, visitors and query channels; query
// subscribers share a few canonical specs as dashboards do) while Segment batches are sent
// through the edge at a paced rate. Probe events go to a second site; for each one the time
// from its 2xx at the edge to each subscriber's first message that reflects it is recorded.
// Also: hub RSS per connection, and the warehouse runs of live queries (the hub's metric).
//
//   node scripts/run.mjs exec tsx bench/live.ts [--subscribers 1000] [--rate 10000] [--seconds 40]
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import { launcherPorts, startSightline } from '../launcher/test/launcher-harness.ts'
import { requestFactory, send } from './lib/front-door-load.ts'
import { machineInfo } from './lib/report.ts'

const { values: args } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000' },
    /** Background events/s through the edge (Segment batches of --batch). */
    rate: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '50' },
    'in-flight': { type: 'string', default: '32' },
    seconds: { type: 'string', default: '40' },
    'warmup-seconds': { type: 'string', default: '5' },
    'probe-interval': { type: 'string', default: '500' },
    /** Leave out the query subscribers on the busy site (their runs share the read lane with the probes'). */
    'no-busy-queries': { type: 'boolean', default: false },
    out: { type: 'string', default: fileURLToPath(new URL('./results/', import.meta.url)) },
  },
})
const SUBSCRIBERS = Number(args.subscribers)
const RATE = Number(args.rate)
const BATCH = Number(args.batch)
const IN_FLIGHT = Number(args['in-flight'])
const SECONDS = Number(args.seconds)
const WARMUP_S = Number(args['warmup-seconds'])
const PROBE_MS = Number(args['probe-interval'])
const BUSY_QUERIES = !args['no-busy-queries']
const TAIL_MS = 6_000
/** A probe a subscriber never reflected counts as this (so it can only push percentiles up). */
const MISSED_MS = 10_000
const GOALS_P95_MS = { events: 500, visitors: 500, query: 1500 }
const KEYS_PER_SITE = 60
const log = (msg: string) => process.stderr.write(`[live] ${msg}\n`)

type Channel = 'events' | 'visitors' | 'query'

/** What each subscriber watches, and how a message tells how many probes it reflects. */
interface Plan {
  channel: Channel
  site: 'bench' | 'probe'
  sub: Record<string, unknown>
  /** Probes reflected by a message's data (probe site only); undefined = not measured. */
  reflected?: (data: Record<string, unknown>, seen: Set<number>) => void
}

const FROM = '2000-01-01T00:00:00Z'
const probeNumber = (person: unknown) =>
  typeof person === 'string' && person.startsWith('probe-') ? Number(person.slice(6)) : undefined
const upTo = (n: number, seen: Set<number>) => {
  for (let i = 1; i <= n; i++) seen.add(i)
}

/** The mix, per 1,000: 400 events, 300 visitors, 300 query (5 specs, 3 measured). */
function plans(total: number): Plan[] {
  const share = (n: number) => Math.round((n * total) / 1000)
  const out: Plan[] = []
  const add = (n: number, p: Plan) => {
    for (let i = 0; i < share(n); i++) out.push(p)
  }
  // A sampled firehose on the busy site (not measured: it shows the fan-out's cost).
  add(20, { channel: 'events', site: 'bench', sub: { channel: 'events' } })
  add(380, {
    channel: 'events',
    site: 'probe',
    sub: { channel: 'events', path: '/probe' },
    reflected: (d, seen) => {
      for (const e of d.events as { person: string }[]) {
        const n = probeNumber(e.person)
        if (n !== undefined) seen.add(n)
      }
    },
  })
  add(50, { channel: 'visitors', site: 'bench', sub: { channel: 'visitors' } })
  add(250, {
    channel: 'visitors',
    site: 'probe',
    sub: { channel: 'visitors' },
    reflected: (d, seen) => upTo(d.active as number, seen),
  })
  const stats = { kind: 'stats', from: FROM, include_bots: true }
  add(90, {
    channel: 'query',
    site: 'probe',
    sub: { channel: 'query', spec: stats },
    reflected: (d, s) => upTo(d.events as number, s),
  })
  add(80, {
    channel: 'query',
    site: 'probe',
    sub: { channel: 'query', spec: { kind: 'breakdown', by: 'entry_page', from: FROM, include_bots: true } },
    reflected: (d, s) =>
      upTo((d.rows as { value: string; visits: number }[]).find((r) => r.value === '/probe')?.visits ?? 0, s),
  })
  add(70, {
    channel: 'query',
    site: 'probe',
    // Default range (the last 7 days), resolved again at every run.
    sub: { channel: 'query', spec: { kind: 'stats', include_bots: true } },
    reflected: (d, s) => upTo(d.events as number, s),
  })
  if (!BUSY_QUERIES) return out
  // Dashboards on the busy site: re-run (at most once a second) while it takes 10k events/s.
  add(40, {
    channel: 'query',
    site: 'bench',
    sub: { channel: 'query', spec: { kind: 'stats', include_bots: true } },
  })
  add(20, {
    channel: 'query',
    site: 'bench',
    sub: { channel: 'query', spec: { kind: 'breakdown', by: 'entry_page', include_bots: true } },
  })
  return out
}

function seedDataDir(dir: string) {
  const key = (p: string) => `${p}_${randomBytes(9).toString('base64url')}`
  const keys = {
    bench: { write: key('wk_bench'), read: Array.from({ length: KEYS_PER_SITE }, () => key('rk_bench')) },
    probe: { write: key('wk_probe'), read: Array.from({ length: KEYS_PER_SITE }, () => key('rk_probe')) },
  }
  const site = (id: 'bench' | 'probe') => ({
    site_id: id,
    name: `Live benchmark (${id})`,
    write_keys: [keys[id].write],
    read_keys: keys[id].read,
    rate_limit: { per_key_per_minute: 100_000_000, per_ip_per_minute: 100_000_000 },
  })
  const state = {
    version: 1,
    signing: { key_id: 'k1', key: randomBytes(32).toString('base64url') },
    metrics_token: `mt_${randomBytes(18).toString('base64url')}`,
    sites: [site('bench'), site('probe')],
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  writeFileSync(join(dir, 'sightline.json'), JSON.stringify(state, null, 2), { mode: 0o600 })
  return keys
}

const rssMb = (pid: number) => {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
  return Math.round((kb / 1024) * 10) / 10
}

function dist(values: number[]) {
  const s = [...values].sort((a, b) => a - b)
  const q = (p: number) => Math.round(s[Math.max(0, Math.ceil(p * s.length) - 1)] ?? 0)
  return { n: s.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: Math.round(s.at(-1) ?? 0) }
}

interface Subscriber {
  plan: Plan
  ws: WebSocket
  seen: Set<number>
  /** Probe number → when this subscriber first reflected it. */
  at: Map<number, number>
  messages: number
  errors: string[]
}

async function openSubscribers(url: string, list: Plan[], keys: ReturnType<typeof seedDataDir>) {
  const counters = { bench: 0, probe: 0 }
  const subs: Subscriber[] = []
  const ready: Promise<void>[] = []
  for (const [i, plan] of list.entries()) {
    // Round-robin over the site's keys: a key may hold 20 connections and 100 subscriptions.
    const readKey = keys[plan.site].read[counters[plan.site]++ % KEYS_PER_SITE]!
    const ws = new WebSocket(url, ['sightline.live.v1', readKey])
    const s: Subscriber = { plan, ws, seen: new Set(), at: new Map(), messages: 0, errors: [] }
    subs.push(s)
    ready.push(
      new Promise<void>((resolve, reject) => {
        ws.on('error', reject)
        ws.on('message', (raw) => {
          const m = JSON.parse(String(raw)) as {
            type: string
            data?: Record<string, unknown>
            error?: { code: string }
          }
          s.messages++
          if (m.type === 'ready') {
            ws.send(JSON.stringify({ type: 'subscribe', id: `s${i}`, site: plan.site, ...plan.sub }))
          } else if (m.type === 'snapshot') {
            resolve()
            if (m.data) plan.reflected?.(m.data, s.seen)
          } else if (m.type === 'update' && m.data && plan.reflected) {
            const before = s.seen.size
            plan.reflected(m.data, s.seen)
            if (s.seen.size !== before) {
              const now = performance.now()
              for (const n of s.seen) if (!s.at.has(n)) s.at.set(n, now)
            }
          } else if (m.type === 'error') {
            s.errors.push(m.error?.code ?? '?')
            resolve()
          }
        })
      }),
    )
    // Do not open a thousand handshakes in one tick.
    if (i % 50 === 49) await new Promise((r) => setTimeout(r, 20))
  }
  await Promise.all(ready)
  return subs
}

/** Segment batches at `rate` events/s, at most `inFlight` requests open; counts 2xx events. */
function startLoad(port: number, writeKey: string, rate: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT })
  const next = requestFactory('segment', writeKey, BATCH)
  const perSecond = rate / BATCH
  const statuses: Record<string, number> = {}
  let inFlight = 0
  let acked = 0
  let skipped = 0
  let stopped = false
  const started = performance.now()
  let due = 0
  const timer = setInterval(() => {
    const shouldHave = Math.floor(((performance.now() - started) / 1000) * perSecond)
    while (due < shouldHave && !stopped) {
      due++
      if (inFlight >= IN_FLIGHT) {
        skipped++
        continue
      }
      inFlight++
      send(agent, port, next())
        .then((status) => {
          statuses[status] = (statuses[status] ?? 0) + 1
          if (status >= 200 && status < 300) acked += BATCH
        })
        .catch(() => (statuses.error = (statuses.error ?? 0) + 1))
        .finally(() => inFlight--)
    }
  }, 5)
  return {
    acked: () => acked,
    async stop() {
      stopped = true
      clearInterval(timer)
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 20))
      agent.destroy()
      return { statuses, skippedForInFlightCap: skipped }
    },
  }
}

function probeBatch(n: number) {
  const ts = new Date().toISOString()
  return JSON.stringify({
    batch: [
      {
        type: 'page',
        messageId: randomUUID(),
        anonymousId: `probe-${n}`,
        timestamp: ts,
        context: { page: { path: '/probe', url: 'https://probe.example.com/probe' } },
      },
    ],
    sentAt: ts,
  })
}

async function liveRuns(bridge: string, token: string): Promise<Record<string, number>> {
  const text = await (
    await fetch(`${bridge}/metrics`, { headers: { authorization: `Bearer ${token}` } })
  ).text()
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const m = /^sightline_live_query_runs_total\{site="([^"]+)",kind="([^"]+)"\} (\d+)/.exec(line)
    if (m) out[`${m[1]}/${m[2]}`] = Number(m[3])
  }
  return out
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'sightline-bench-live-'))
  const keys = seedDataDir(dataDir)
  const uptimeBefore = readFileSync('/proc/loadavg', 'utf8').trim()
  log(`load average before: ${uptimeBefore}`)
  const running = await startSightline(dataDir, await launcherPorts())
  const e = running.endpoints
  const hubPid = e.pids.hub
  const edgePort = Number(new URL(e.edge).port)
  try {
    await new Promise((r) => setTimeout(r, 3_000))
    const rssIdle = rssMb(hubPid)
    const list = plans(SUBSCRIBERS)
    log(`opening ${list.length} subscribers`)
    const t0 = performance.now()
    const subs = await openSubscribers(`${e.query.replace('http', 'ws')}/v1/live`, list, keys)
    const openMs = Math.round(performance.now() - t0)
    const refused = subs.filter((s) => s.errors.length > 0)
    if (refused.length > 0) log(`refused: ${refused.length} (${refused[0]!.errors.join(',')})`)
    await new Promise((r) => setTimeout(r, 2_000))
    const rssConnected = rssMb(hubPid)
    log(`hub RSS ${rssIdle} → ${rssConnected} MB with ${subs.length} connections (${openMs} ms to subscribe)`)

    const load = startLoad(edgePort, keys.bench.write, RATE)
    log(`load: ${RATE} events/s asked; warm-up ${WARMUP_S} s`)
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000))
    const runs0 = await liveRuns(e.bridge, e.metrics_token)
    const acked0 = load.acked()
    const measureStart = performance.now()
    const probeAgent = new Agent({ keepAlive: true, maxSockets: 4 })
    const probeAck = new Map<number, number>()
    const probeStatus: Record<string, number> = {}
    const probes: Promise<void>[] = []
    let n = 0
    let rssMax = rssConnected
    while (performance.now() - measureStart < SECONDS * 1000) {
      const k = ++n
      const body = Buffer.from(probeBatch(k))
      probes.push(
        send(probeAgent, edgePort, {
          method: 'POST',
          path: '/v1/batch',
          headers: {
            'content-type': 'application/json',
            'content-length': body.byteLength,
            authorization: `Basic ${Buffer.from(`${keys.probe.write}:`).toString('base64')}`,
          },
          body,
          events: 1,
        })
          .then((status) => {
            probeStatus[status] = (probeStatus[status] ?? 0) + 1
            if (status >= 200 && status < 300) probeAck.set(k, performance.now())
          })
          .catch(() => {
            probeStatus.error = (probeStatus.error ?? 0) + 1
          }),
      )
      rssMax = Math.max(rssMax, rssMb(hubPid))
      await new Promise((r) => setTimeout(r, PROBE_MS))
    }
    await Promise.all(probes)
    const measureMs = performance.now() - measureStart
    const achieved = Math.round(((load.acked() - acked0) / measureMs) * 1000)
    await new Promise((r) => setTimeout(r, TAIL_MS))
    const runs1 = await liveRuns(e.bridge, e.metrics_token)
    const loadResult = await load.stop()
    const uptimeAfter = readFileSync('/proc/loadavg', 'utf8').trim()

    type Acc = { latencies: number[]; missed: number; subscribers: number }
    const acc = (): Acc => ({ latencies: [], missed: 0, subscribers: 0 })
    const byChannel: Record<Channel, Acc> = { events: acc(), visitors: acc(), query: acc() }
    for (const s of subs) {
      if (!s.plan.reflected || s.errors.length > 0) continue
      const c = byChannel[s.plan.channel]
      c.subscribers++
      for (const [k, ack] of probeAck) {
        const at = s.at.get(k)
        if (at === undefined) {
          c.missed++
          c.latencies.push(MISSED_MS)
          // Not clamped: a push may beat the 2xx back to the client (negative), and that is reported.
        } else {
          c.latencies.push(at - ack)
        }
      }
    }
    const latency = Object.fromEntries(
      Object.entries(byChannel).map(([ch, c]) => {
        const d = dist(c.latencies)
        const goal = GOALS_P95_MS[ch as Channel]
        return [
          ch,
          {
            ...d,
            subscribers: c.subscribers,
            missed: c.missed,
            goalP95Ms: goal,
            verdict: d.p95 <= goal ? 'met' : 'missed',
          },
        ]
      }),
    )
    const runs: Record<string, number> = {}
    for (const [k, v] of Object.entries(runs1)) runs[k] = v - (runs0[k] ?? 0)
    const specSubscribers: Record<string, number> = {}
    for (const s of subs) {
      if (s.plan.channel !== 'query') continue
      const spec = s.plan.sub.spec as { kind: string }
      const k = `${s.plan.site}/${spec.kind}`
      specSubscribers[k] = (specSubscribers[k] ?? 0) + 1
    }
    const result = {
      date: new Date().toISOString(),
      machine: machineInfo(),
      loadAverage: { before: uptimeBefore, after: uptimeAfter, oneMinuteAtEnd: loadavg()[0] },
      parameters: {
        subscribers: subs.length,
        refused: refused.length,
        askedEventsPerSec: RATE,
        busySiteQueries: BUSY_QUERIES,
        batch: BATCH,
        inFlight: IN_FLIGHT,
        seconds: SECONDS,
        warmupSeconds: WARMUP_S,
        probeIntervalMs: PROBE_MS,
        mix: Object.fromEntries(
          (['events', 'visitors', 'query'] as const).map((ch) => [
            ch,
            subs.filter((s) => s.plan.channel === ch).length,
          ]),
        ),
      },
      load: { achievedEventsPerSec: achieved, ...loadResult },
      probes: { sent: n, acked: probeAck.size, statuses: probeStatus },
      latencyMs: latency,
      memory: {
        hubRssIdleMb: rssIdle,
        hubRssConnectedMb: rssConnected,
        hubRssMaxUnderLoadMb: rssMax,
        kbPerConnection: Math.round(((rssConnected - rssIdle) * 1024 * 10) / subs.length) / 10,
        subscribeAllMs: openMs,
      },
      liveQueryRuns: {
        duringMeasurementPlusTail: runs,
        seconds: Math.round((measureMs + TAIL_MS) / 100) / 10,
        subscribersBySpec: specSubscribers,
      },
      messagesReceived: subs.reduce((a, s) => a + s.messages, 0),
    }
    for (const s of subs) s.ws.close()
    mkdirSync(args.out!, { recursive: true })
    const name = BUSY_QUERIES ? 'live' : 'live-no-busy-queries'
    writeFileSync(join(args.out!, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`)
    writeFileSync(join(args.out!, `${name}.md`), markdown(result))
    log(JSON.stringify({ latency, load: result.load, memory: result.memory, runs }, null, 1))
  } finally {
    await running.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

function markdown(r: {
  date: string
  machine: ReturnType<typeof machineInfo>
  loadAverage: { before: string; after: string }
  parameters: Record<string, unknown> & { subscribers: number; seconds: number; mix: Record<string, number> }
  load: { achievedEventsPerSec: number }
  probes: { sent: number; acked: number }
  latencyMs: Record<
    string,
    {
      p50: number
      p95: number
      p99: number
      max: number
      subscribers: number
      missed: number
      goalP95Ms: number
      verdict: string
    }
  >
  memory: {
    hubRssIdleMb: number
    hubRssConnectedMb: number
    hubRssMaxUnderLoadMb: number
    kbPerConnection: number
  }
  liveQueryRuns: {
    duringMeasurementPlusTail: Record<string, number>
    seconds: number
    subscribersBySpec: Record<string, number>
  }
}): string {
  const m = r.machine
  const rows = Object.entries(r.latencyMs).map(
    ([ch, d]) =>
      `| ${ch} | ${d.subscribers} | ${d.p50} | ${d.p95} | ${d.p99} | ${d.max} | ${d.missed} | ≤ ${d.goalP95Ms} | **${d.verdict}** |`,
  )
  const runs = Object.entries(r.liveQueryRuns.duringMeasurementPlusTail).map(
    ([k, v]) => `| ${k} | ${r.liveQueryRuns.subscribersBySpec[k] ?? 0} | ${v} |`,
  )
  return [
    '# Live API under load (embedded, `npm start`)',
    '',
    `${r.date} · ${m.cpus} × ${m.cpuModel} · Node ${m.node}${m.commit ? ` · ${m.commit}` : ''}`,
    `Load average (1/5/15 min) before: ${r.loadAverage.before.split(' ').slice(0, 3).join(' ')}; after: ${r.loadAverage.after.split(' ').slice(0, 3).join(' ')} (other work shares this machine).`,
    '',
    `${r.parameters.subscribers} WebSocket connections, one subscription each (events ${r.parameters.mix.events}, visitors ${r.parameters.mix.visitors}, query ${r.parameters.mix.query}); ` +
      `${r.parameters.askedEventsPerSec} events/s asked through the edge, **${r.load.achievedEventsPerSec} events/s acknowledged (2xx)**; ` +
      `${r.parameters.seconds} s measured, ${r.probes.acked} probes of ${r.probes.sent} acknowledged.`,
    '',
    'Latency = probe batch 2xx at the edge → first message on a subscriber that reflects it, over every (probe, subscriber) pair; a probe never reflected counts as 10 s.',
    '',
    '| channel | measured subscribers | p50 ms | p95 ms | p99 ms | max ms | missed | goal p95 | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Hub RSS: ${r.memory.hubRssIdleMb} MB idle → ${r.memory.hubRssConnectedMb} MB with the connections (**${r.memory.kbPerConnection} KB per connection**), max ${r.memory.hubRssMaxUnderLoadMb} MB under load.`,
    '',
    `Warehouse runs of live queries over ${r.liveQueryRuns.seconds} s (the hub's \`sightline_live_query_runs_total\`):`,
    '',
    '| site/kind | subscribers | runs |',
    '| --- | --- | --- |',
    ...runs,
    '',
  ].join('\n')
}

main().catch((err) => {
  log(String(err?.stack ?? err))
  process.exitCode = 1
})
