import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import type { InsertStats } from './protocol.ts'
import { fmt, pct, type Summary } from './stats.ts'

export interface PhaseRun {
  run: number
  mode: 'baseline' | 'sightline'
  startupMs: number
  events: number
  requests: number
  failures: number
  /** Events acknowledged 2xx per second (first send → last 2xx). */
  receiverEventsPerSec: number
  /** Sightline only: first send → SELECT count() equals the total. */
  endToEndEventsPerSec?: number
  endToEndMs?: number
  finalCount?: number
  latencyMs: { p50: number; p99: number; max: number }
  serverCpuMs?: number
  serverMaxRssMb?: number
  /** Sightline only: the writer's warehouse.insert calls over the whole child (warm-up included). */
  inserts?: InsertStats
}

export interface Results {
  benchmark: 'ingest-throughput'
  date: string
  machine: {
    cpus: number
    cpuModel: string
    totalMemGb: number
    platform: string
    node: string
    commit?: string
  }
  parameters: Record<string, unknown>
  runs: PhaseRun[]
  medians: { baseline: Summary; receiver: Summary; endToEnd: Summary }
  ratios: { receiverToBaseline: number; perRun: number[] }
  targets: { receiverToBaseline: number; endToEndEventsPerSec: number }
  verdict: { receiver: 'met' | 'missed'; endToEnd: 'met' | 'missed' }
  notes: string[]
}

export function machineInfo(): Results['machine'] {
  let commit: string | undefined
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: 'pipe' }).trim()
  } catch {
    commit = undefined
  }
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    totalMemGb: Math.round(totalmem() / 2 ** 30),
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    ...(commit ? { commit } : {}),
  }
}

export function writeResults(dir: string, results: Results): { json: string; md: string } {
  mkdirSync(dir, { recursive: true })
  const json = join(dir, 'ingest-throughput.json')
  const md = join(dir, 'ingest-throughput.md')
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`)
  writeFileSync(md, markdown(results))
  return { json, md }
}

function markdown(r: Results): string {
  const m = r.machine
  const p = r.parameters
  const row = (name: string, s: Summary, target: string, verdict = '') =>
    `| ${name} | ${fmt(s.median)} | ${fmt(s.min)} – ${fmt(s.max)} | ${pct(s.spread)} | ${target} | ${verdict} |`
  const lines = [
    '# Ingest throughput (embedded)',
    '',
    `${r.date} · ${m.cpus} × ${m.cpuModel} · Node ${m.node}${m.commit ? ` · ${m.commit}` : ''}`,
    '',
    `${fmt(Number(p.events))} events per run in batches of ${p.batchSize}, ${p.concurrency} requests in flight,`,
    `${p.runs} runs per phase (alternating), fsync ${p.fsync ? 'on' : 'off'}. Medians in events/s.`,
    '',
    '| phase | median | min – max | spread | target | |',
    '| --- | ---: | ---: | ---: | --- | --- |',
    row('baseline (node:http + JSON.parse)', r.medians.baseline, '—'),
    row('Sightline receiver (2xx = durable)', r.medians.receiver, `≥ 0.8 × baseline`, r.verdict.receiver),
    row(
      'Sightline end-to-end (→ chdb count)',
      r.medians.endToEnd,
      `≥ ${fmt(r.targets.endToEndEventsPerSec)}`,
      r.verdict.endToEnd,
    ),
    '',
    `Receiver / baseline: **${r.ratios.receiverToBaseline.toFixed(2)}** (per run: ${r.ratios.perRun
      .map((x) => x.toFixed(2))
      .join(', ')}; target ≥ ${r.targets.receiverToBaseline}).`,
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
  ]
  return lines.join('\n')
}
