// Edge CPU per 10-event batch: the edge app (validate + enrich + bot + sign + Hono) against a
// bare JSON.parse of the same bodies, in the same process and run. Target (docs/performance.md):
// ≤ 0.5 ms CPU per 10-event batch. The code is the Worker's own (edge-worker/src/app.ts) on
// V8 in Node; the bridge answer is stubbed because only the edge's own CPU is measured.
//
//   node scripts/run.mjs exec tsx bench/edge-cpu.ts [--batches 3000] [--rounds 5] [--out dir]
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createGenerator } from '@sightline/testing'
import { createApp } from '../edge-worker/src/app.ts'
import { SiteSchema } from '../edge-worker/src/config.ts'
import { staticSites } from '../edge-worker/src/sites.ts'
import { summarize } from './lib/stats.ts'

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '5' },
    out: { type: 'string', default: join(import.meta.dirname, 'results') },
  },
})
const batchCount = Number(values.batches)
const rounds = Number(values.rounds)
const TARGET_MS = 0.5

const writeKey = 'wk_bench_edge_cpu'
const app = createApp({
  sites: staticSites([SiteSchema.parse({ site_id: 'bench', write_keys: [writeKey] })]),
  bridges: [{ url: 'http://bridge.invalid', region: 'local', priority: 1 }],
  signing: { keyId: 'k1', secret: 'bench-signing-secret-0123456789abcdef' },
  now: () => Date.now(),
  // The bridge is not what is measured: answer as a durable bridge would, at once.
  fetch: async () => new Response('{"ok":true}', { status: 200 }),
})

const gen = createGenerator({ seed: 'edge-cpu', sites: ['bench'], botShare: 0.1 })
const bodies = gen.batches(batchCount * 10, 10).map((b) => JSON.stringify(b))
const headers = {
  'content-type': 'application/json',
  authorization: `Basic ${btoa(`${writeKey}:`)}`,
  'user-agent':
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'accept-language': 'en-US,en;q=0.9',
  'sec-ch-ua': '"Chromium";v="131", "Google Chrome";v="131", "Not_A Brand";v="24"',
  'sec-ch-ua-mobile': '?0',
  'sec-ch-ua-platform': '"Windows"',
  'cf-connecting-ip': '203.0.113.7',
}

function cpuMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

async function runEdge(): Promise<number> {
  const start = cpuMs()
  for (const body of bodies) {
    const res = await app.request('/v1/batch', { method: 'POST', headers, body })
    if (res.status !== 200) throw new Error(`edge answered ${res.status}: ${await res.text()}`)
    await res.arrayBuffer()
  }
  return (cpuMs() - start) / bodies.length
}

function runBaseline(): number {
  const start = cpuMs()
  let keys = 0
  for (const body of bodies) keys += Object.keys(JSON.parse(body)).length
  if (keys === 0) throw new Error('unreachable')
  return (cpuMs() - start) / bodies.length
}

console.log(`[edge-cpu] ${bodies.length} batches of 10 events, ${rounds} rounds (warm-up first)`)
await runEdge()
runBaseline()
const edge: number[] = []
const baseline: number[] = []
for (let round = 1; round <= rounds; round++) {
  baseline.push(runBaseline())
  edge.push(await runEdge())
  console.log(
    `[edge-cpu] round ${round}: edge ${edge.at(-1)!.toFixed(4)} ms/batch · baseline ${baseline.at(-1)!.toFixed(4)} ms/batch`,
  )
}
const e = summarize(edge)
const b = summarize(baseline)
const verdict = e.median <= TARGET_MS ? 'met' : 'missed'
let commit = ''
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
} catch {}
const results = {
  benchmark: 'edge-cpu',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', node: process.version, commit },
  parameters: {
    batches: bodies.length,
    eventsPerBatch: 10,
    rounds,
    runtime: 'V8 (Node) running edge-worker/src/app.ts',
  },
  msPerBatch: { edge: e, baseline: b },
  ratioToBaseline: Number((e.median / b.median).toFixed(1)),
  target: { msPerBatch: TARGET_MS },
  verdict,
}
mkdirSync(values.out!, { recursive: true })
writeFileSync(join(values.out!, 'edge-cpu.json'), `${JSON.stringify(results, null, 2)}\n`)
writeFileSync(
  join(values.out!, 'edge-cpu.md'),
  [
    '# Edge CPU per 10-event batch',
    '',
    `${results.date} · ${results.machine.cpus} × ${results.machine.cpuModel} · Node ${process.version} · ${commit}`,
    '',
    `${bodies.length} generated batches of 10 events (10 % bot traffic), browser headers incl. client hints,`,
    `${rounds} rounds after a warm-up; CPU = process user + system time / batches.`,
    '',
    '| measure | median ms/batch | min – max |',
    '| --- | ---: | ---: |',
    `| baseline: JSON.parse of the body | ${b.median.toFixed(4)} | ${b.min.toFixed(4)} – ${b.max.toFixed(4)} |`,
    `| edge: auth, read, validate, enrich (geo/device/bot/privacy), sign, respond | ${e.median.toFixed(4)} | ${e.min.toFixed(4)} – ${e.max.toFixed(4)} |`,
    '',
    `Edge / baseline: ${results.ratioToBaseline}×. Target ≤ ${TARGET_MS} ms per batch: **${verdict}**.`,
    '',
  ].join('\n'),
)
console.log(
  `[edge-cpu] edge ${e.median.toFixed(4)} ms/batch (target ≤ ${TARGET_MS}: ${verdict}) · baseline ${b.median.toFixed(4)} ms/batch · ×${results.ratioToBaseline}`,
)
