// The hostile soak: a real `npm start` stack under a steady stream of legitimate events
// while hostile clients hit all three services for --minutes (default 10). Passes when no
// hostile request got a 5xx or hung, every legitimate event acknowledged 2xx is countable
// afterwards, and the hub's memory stayed bounded. See bench/README.md.
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Rng } from '@sightline/testing'
import { launcherPorts, startSightline } from '../launcher/test/launcher-harness.ts'
import { ATTACKS, type Target } from './lib/hostile-attacks.ts'
import { machineInfo } from './lib/report.ts'

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    /** Concurrent hostile clients. */
    hostile: { type: 'string', default: '4' },
    /** Legitimate events per second, in batches of 20. */
    rate: { type: 'string', default: '200' },
    'deadline-ms': { type: 'string', default: '15000' },
    out: { type: 'string', default: fileURLToPath(new URL('./results/', import.meta.url)) },
  },
})
const DURATION_MS = Number(args.minutes) * 60_000
const HOSTILE = Number(args.hostile)
const RATE = Number(args.rate)
const DEADLINE_MS = Number(args['deadline-ms'])
const BATCH = 20
const log = (msg: string) => process.stderr.write(`[hostile-soak] ${msg}\n`)

async function startStack(dataDir: string): Promise<{ child: ChildProcess; target: Target; hubPid: number }> {
  const { child } = await startSightline(dataDir, await launcherPorts())
  const endpoints = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8'))
  const state = JSON.parse(readFileSync(join(dataDir, 'sightline.json'), 'utf8'))
  const site = endpoints.sites[0]
  return {
    child,
    hubPid: endpoints.pids?.hub,
    target: {
      edge: endpoints.edge,
      bridge: endpoints.bridge,
      query: endpoints.query,
      site: site.site_id,
      writeKey: site.write_key,
      readKey: site.read_key,
      signing: { keyId: state.signing.key_id, key: state.signing.key },
    },
  }
}

function rssMb(pid: number | undefined): number {
  if (!pid || !existsSync(`/proc/${pid}/status`)) return 0
  const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Math.round(Number(match[1]) / 1024) : 0
}

/** Legitimate client: batches of `soak_legit` events, retried as an SDK would; records what got a 2xx. */
async function legitimateLoad(t: Target, until: number, acked: Set<string>, counts: Record<string, number>) {
  const gap = (1000 * BATCH) / RATE
  while (Date.now() < until) {
    const started = Date.now()
    const ids = Array.from({ length: BATCH }, () => `legit-${randomBytes(8).toString('hex')}`)
    const body = JSON.stringify({
      batch: ids.map((id) => ({
        type: 'track',
        event: 'soak_legit',
        message_id: id,
        anonymous_id: `v-${id.slice(6, 10)}`,
      })),
    })
    for (let attempt = 0; attempt < 5; attempt++) {
      const res = await fetch(`${t.edge}/v1/batch`, {
        method: 'POST',
        headers: { authorization: `Basic ${btoa(`${t.writeKey}:`)}`, 'content-type': 'application/json' },
        body,
      }).catch(() => undefined)
      const status = res?.status ?? 0
      await res?.arrayBuffer()
      counts[status] = (counts[status] ?? 0) + 1
      if (status === 200) {
        for (const id of ids) acked.add(id)
        break
      }
      const wait = Number(res?.headers.get('retry-after') ?? '1') * 1000
      await new Promise((r) => setTimeout(r, Math.min(wait, 5_000)))
    }
    await new Promise((r) => setTimeout(r, Math.max(0, gap - (Date.now() - started))))
  }
}

interface AttackTally {
  sent: number
  failed: number
  statuses: Record<string, number>
  slowestMs: number
  failures: string[]
  /** Requests retried once because the server closed a kept-alive connection before answering. */
  reconnects: number
}

async function hostileClient(t: Target, until: number, seed: number, tallies: Map<string, AttackTally>) {
  const random = new Rng(seed)
  const rng = () => random.next()
  while (Date.now() < until) {
    const attack = ATTACKS[Math.floor(rng() * ATTACKS.length)]!
    const tally = tallies.get(attack.name) ?? {
      sent: 0,
      failed: 0,
      statuses: {},
      slowestMs: 0,
      failures: [],
      reconnects: 0,
    }
    tallies.set(attack.name, tally)
    const started = Date.now()
    const timer = new Promise<{ status: number; ok: boolean; note: string }>((resolve) =>
      setTimeout(
        () => resolve({ status: -1, ok: false, note: `no answer in ${DEADLINE_MS * 3} ms` }),
        DEADLINE_MS * 3,
      ).unref(),
    )
    // A server may close an idle kept-alive connection just as a request goes out on it (a
    // busy event loop makes that likelier); HTTP clients retry such a request once, as the
    // legit client and the edge do. It is counted, and the retry must obey the rules.
    const attempt = () => attack.run(t, rng)
    const run = attempt().catch((err) => {
      if (!closedBeforeAnswer(err)) throw err
      tally.reconnects += 1
      return attempt()
    })
    const outcome = await Promise.race([
      run.catch((err) => ({ status: -2, ok: false, note: describeError(err) })),
      timer,
    ])
    const ms = Date.now() - started
    tally.sent += 1
    tally.slowestMs = Math.max(tally.slowestMs, ms)
    tally.statuses[outcome.status] = (tally.statuses[outcome.status] ?? 0) + 1
    const slow = attack.name.startsWith('slow headers') ? false : ms > DEADLINE_MS
    if (!outcome.ok || slow) {
      tally.failed += 1
      if (tally.failures.length < 5)
        tally.failures.push(`${outcome.status} in ${ms} ms ${outcome.note ?? ''}`.trim())
    }
  }
}

async function legitCount(t: Target): Promise<number> {
  const from = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10)
  const to = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)
  const res = await fetch(
    `${t.query}/v1/sites/${t.site}/trends?event=soak_legit&interval=day&include_bots=true&from=${from}&to=${to}`,
    { headers: { authorization: `Bearer ${t.readKey}` } },
  )
  if (!res.ok) return -1
  const body = (await res.json()) as { buckets: Array<{ count: number }> }
  return body.buckets.reduce((sum, row) => sum + Number(row.count), 0)
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'sightline-soak-'))
  log(`starting the stack in ${dataDir}…`)
  const { child, target, hubPid } = await startStack(dataDir)
  const acked = new Set<string>()
  const legitStatuses: Record<string, number> = {}
  const tallies = new Map<string, AttackTally>()
  const rss: number[] = [rssMb(hubPid)]
  const started = Date.now()
  const until = started + DURATION_MS
  const progress = setInterval(() => {
    rss.push(rssMb(hubPid))
    const sent = [...tallies.values()].reduce((s, x) => s + x.sent, 0)
    const failed = [...tallies.values()].reduce((s, x) => s + x.failed, 0)
    log(
      `${Math.round((Date.now() - started) / 1000)} s: ${acked.size} legit acked, ${sent} hostile sent, ${failed} broke the rules, hub ${rss.at(-1)} MB`,
    )
  }, 15_000)
  await Promise.all([
    legitimateLoad(target, until, acked, legitStatuses),
    ...Array.from({ length: HOSTILE }, (_, i) => hostileClient(target, until, 1000 + i, tallies)),
  ])
  clearInterval(progress)
  log('load stopped; waiting until every acknowledged event is countable…')
  let counted = -1
  for (let i = 0; i < 120 && counted < acked.size; i++) {
    counted = await legitCount(target)
    if (counted < acked.size) await new Promise((r) => setTimeout(r, 1_000))
  }
  child.kill('SIGINT')
  await new Promise((r) => child.once('exit', r))
  rmSync(dataDir, { recursive: true, force: true })

  const attacks = Object.fromEntries(tallies)
  const brokeRules = [...tallies.values()].reduce((s, x) => s + x.failed, 0)
  const result = {
    benchmark: 'hostile-soak',
    date: new Date().toISOString(),
    machine: machineInfo(),
    parameters: {
      minutes: Number(args.minutes),
      hostile_clients: HOSTILE,
      legit_events_per_s: RATE,
      deadline_ms: DEADLINE_MS,
    },
    legit: { acknowledged: acked.size, counted, statuses: legitStatuses },
    attacks,
    hub_rss_mb: { first: rss[0], max: Math.max(...rss), last: rss.at(-1) },
    passed: brokeRules === 0 && counted === acked.size,
  }
  mkdirSync(args.out, { recursive: true })
  writeFileSync(join(args.out, 'hostile-soak.json'), `${JSON.stringify(result, null, 2)}\n`)
  log(
    `legit: ${acked.size} acknowledged, ${counted} counted; hostile: ${brokeRules} answers broke the rules; hub RSS ${result.hub_rss_mb.first}→${result.hub_rss_mb.max} MB (max)`,
  )
  for (const [name, t] of tallies)
    log(
      `  ${name}: ${t.sent} sent, ${t.failed} failed, ${t.reconnects} retried after a closed connection ${JSON.stringify(t.statuses)} ${t.failures.join(' | ')}`,
    )
  log(result.passed ? 'PASSED' : 'FAILED')
  process.exit(result.passed ? 0 : 1)
}

await main()

function closedBeforeAnswer(err: unknown): boolean {
  const cause =
    err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined
  return cause?.code === 'UND_ERR_SOCKET' && cause.message === 'other side closed'
}

/** The error and its causes: undici's "fetch failed" says nothing without its cause's code. */
function describeError(err: unknown): string {
  const parts: string[] = []
  for (let e: unknown = err; e instanceof Error && parts.length < 3; e = e.cause) {
    const code = (e as { code?: unknown }).code
    parts.push(`${e.name}: ${e.message}${typeof code === 'string' ? ` (${code})` : ''}`)
  }
  return (parts.join(' ← ') || String(err)).slice(0, 300)
}
