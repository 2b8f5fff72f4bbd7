// Markdown for bench/front-door.ts: medians per request kind, ratios to the same-run
// baseline, CPU per event per process role.
import type { Kind } from './front-door-load.ts'

interface Run {
  run: number
  kind: Kind
  target: 'baseline' | 'sightline'
  eventsPerSec: number
  requestsPerSec: number
  failures: number
  latencyMs: { p50: number; p99: number }
  cpuUsPerEventByRole: Record<string, number>
  loadAvg1: number
}

interface Doc {
  date: string
  machine: { cpus: number; cpuModel: string; node: string; commit?: string; loadAvgAtEnd: number[] }
  parameters: {
    runs: number
    secondsPerPhase: number
    kinds: Kind[]
    segmentBatch: number
    segmentClients: number
    browserClients: number
    edgeRuntime?: string
  }
  delivery: { ackedEvents: number; countedEvents: number; allCounted: boolean }
  runs: Run[]
}

/** Goals from the front-door issue: through the edge, on this machine. */
export const TARGETS: Record<Kind, { metric: 'eventsPerSec' | 'requestsPerSec'; value: number } | undefined> =
  {
    segment: { metric: 'eventsPerSec', value: 25_000 },
    beacon: { metric: 'requestsPerSec', value: 5_000 },
    pixel: undefined,
  }

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return 0
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export function summarize(doc: Doc) {
  return doc.parameters.kinds.map((kind) => {
    const of = (t: Run['target']) => doc.runs.filter((r) => r.kind === kind && r.target === t)
    const s = of('sightline')
    const b = of('baseline')
    const ratios = s.map((r, i) => r.eventsPerSec / Math.max(1, b[i]?.eventsPerSec ?? 1))
    const roles = [...new Set(s.flatMap((r) => Object.keys(r.cpuUsPerEventByRole)))].sort()
    const cpu = Object.fromEntries(
      roles.map((role) => [role, median(s.map((r) => r.cpuUsPerEventByRole[role] ?? 0))]),
    )
    const baseCpu = median(
      b.map((r) =>
        Object.entries(r.cpuUsPerEventByRole)
          .filter(([k]) => k !== 'load client')
          .reduce((a, [, v]) => a + v, 0),
      ),
    )
    const target = TARGETS[kind]
    const sMetric = target ? median(s.map((r) => r[target.metric])) : 0
    return {
      kind,
      sightline: {
        eventsPerSec: median(s.map((r) => r.eventsPerSec)),
        requestsPerSec: median(s.map((r) => r.requestsPerSec)),
        // Rounded: the median of an even count is a mean, with a float's long tail.
        p50: Math.round(median(s.map((r) => r.latencyMs.p50)) * 100) / 100,
        p99: Math.round(median(s.map((r) => r.latencyMs.p99)) * 100) / 100,
        failures: s.reduce((a, r) => a + r.failures, 0),
      },
      baseline: {
        eventsPerSec: median(b.map((r) => r.eventsPerSec)),
        requestsPerSec: median(b.map((r) => r.requestsPerSec)),
        cpuUsPerEvent: baseCpu,
      },
      ratios: ratios.map((r) => Number(r.toFixed(3))),
      ratio: Number(median(ratios).toFixed(3)),
      cpuUsPerEvent: cpu,
      target: target ? { ...target, verdict: sMetric >= target.value ? 'met' : 'missed' } : undefined,
      loadAvg: s.map((r) => r.loadAvg1),
    }
  })
}

export function renderFrontDoor(doc: Doc): string {
  const rows = summarize(doc)
  const lines = [
    '# Front door: real clients through `npm start`',
    '',
    `${doc.date} · ${doc.machine.cpus} × ${doc.machine.cpuModel} · Node ${doc.machine.node} · ${doc.machine.commit ?? ''} · load average at end ${doc.machine.loadAvgAtEnd.join(' / ')}`,
    '',
    `${doc.parameters.runs} runs × ${doc.parameters.secondsPerPhase} s per phase; Segment batches of ${doc.parameters.segmentBatch} from ${doc.parameters.segmentClients} clients; beacons and pixels from ${doc.parameters.browserClients} clients. Edge runtime: ${doc.parameters.edgeRuntime ?? 'workerd'}. Baseline: bare node:http + JSON.parse in its own process, same load generator, same run, phases alternating.`,
    '',
    '| kind | Sightline events/s | requests/s | baseline events/s | ratio (median; per run) | p50 / p99 ms | target |',
    '| --- | ---: | ---: | ---: | --- | ---: | --- |',
    ...rows.map(
      (r) =>
        `| ${r.kind} | ${r.sightline.eventsPerSec} | ${r.sightline.requestsPerSec} | ${r.baseline.eventsPerSec} | ${r.ratio}× (${r.ratios.join(', ')}) | ${r.sightline.p50} / ${r.sightline.p99} | ${r.target ? `${r.target.metric === 'eventsPerSec' ? 'events' : 'requests'}/s ≥ ${r.target.value}: **${r.target.verdict}**` : '—'} |`,
    ),
    '',
    'CPU per event (µs, median over runs) by process role of the stack, and the baseline server:',
    '',
    '| kind | ' +
      [...new Set(rows.flatMap((r) => Object.keys(r.cpuUsPerEvent)))].sort().join(' | ') +
      ' | baseline server |',
    '| --- |' +
      [...new Set(rows.flatMap((r) => Object.keys(r.cpuUsPerEvent)))].map(() => ' ---: |').join('') +
      ' ---: |',
    ...rows.map((r) => {
      const roles = [...new Set(rows.flatMap((x) => Object.keys(x.cpuUsPerEvent)))].sort()
      return `| ${r.kind} | ${roles.map((role) => r.cpuUsPerEvent[role] ?? 0).join(' | ')} | ${r.baseline.cpuUsPerEvent} |`
    }),
    '',
    `Delivery: ${doc.delivery.ackedEvents} events acknowledged by the edge, ${doc.delivery.countedEvents} counted by the query service afterwards (${doc.delivery.allCounted ? 'all' : '**not all**'}).`,
    `Load average (1 min) during the Sightline phases: ${rows.map((r) => `${r.kind} ${r.loadAvg.join(', ')}`).join('; ')}.`,
    '',
  ]
  return lines.join('\n')
}
