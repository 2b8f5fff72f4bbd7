// Query latency per insight kind: the query API over HTTP against the same SQL run directly
// on chdb in the same process and run (the API's overhead). See bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { serve } from '@hono/node-server'
import { createApp, insertWatermark, staticReadKeys } from '@sightline/query-service'
import { migrate, openWarehouse, type Warehouse } from '@sightline/warehouse'
import { z } from 'zod'
import { loadSyntheticEvents } from './lib/query-data.ts'
import { machineInfo } from './lib/report.ts'
import { fmt } from './lib/stats.ts'

/**
 * The same question asked of ClickHouse the straight way (its own `windowFunnel`,
 * `retention`), beside the API's plan: what the engine's native function costs on the same
 * rows. Persons are the stored `person_id` with no identity merges, bots left out; the SQL
 * binds `{site:String}`, `{from:DateTime64(3)}` and `{to:DateTime64(3)}`.
 */
const NATIVE_FUNNEL_SQL = `SELECT level, count() AS persons
FROM (
  SELECT person_id, windowFunnel(604800000)(toUInt64(toUnixTimestamp64Milli(ts)), event = '$pageview', event = 'signup', event = 'checkout') AS level
  FROM events
  WHERE site_id = {site:String} AND NOT is_bot AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)} + INTERVAL 7 DAY
  GROUP BY person_id
)
GROUP BY level
ORDER BY level`
const NATIVE_RETENTION_SQL = `SELECT cohort, sum(r[1]) AS w0, sum(r[2]) AS w1, sum(r[3]) AS w2, sum(r[4]) AS w3, sum(r[5]) AS w4
FROM (
  SELECT person_id, f.cohort AS cohort,
    retention(toMonday(ts) = cohort, toMonday(ts) = cohort + 7, toMonday(ts) = cohort + 14,
              toMonday(ts) = cohort + 21, toMonday(ts) = cohort + 28) AS r
  FROM events
  INNER JOIN (
    SELECT person_id, toMonday(min(ts)) AS cohort
    FROM events
    WHERE site_id = {site:String} AND NOT is_bot AND event = 'signup' AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}
    GROUP BY person_id
  ) AS f USING person_id
  WHERE site_id = {site:String} AND NOT is_bot AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}
  GROUP BY person_id, cohort
)
GROUP BY cohort
ORDER BY cohort`

const FUNNEL_STEPS = [{ event: 'pageview' }, { event: 'signup' }, { event: 'checkout' }]

/**
 * The cases: one entry each, a query spec for `POST /v1/sites/:site/query` (the range is
 * added: the 30 days of data), and optionally the native ClickHouse question it is held
 * against. A new insight kind adds its line here, nothing else.
 */
export const CASES: ReadonlyArray<{ name: string; spec: Record<string, unknown>; native?: string }> = [
  // A day with no data: the query costs next to nothing, so the API's own cost shows.
  { name: 'stats, an empty day', spec: { kind: 'stats', from: '2025-06-01', to: '2025-06-02' } },
  { name: 'stats', spec: { kind: 'stats' } },
  { name: 'breakdown by page', spec: { kind: 'breakdown', by: 'page', limit: 10 } },
  {
    name: 'breakdown by channel, filtered',
    spec: { kind: 'breakdown', by: 'channel', filters: [{ dimension: 'country', op: 'is', value: 'DE' }] },
  },
  { name: 'breakdown by properties.plan', spec: { kind: 'breakdown', by: 'properties.plan' } },
  { name: 'trends daily (classic)', spec: { kind: 'trends', interval: 'day', tz: 'Europe/Berlin' } },
  {
    name: 'trends: page views per hour by page',
    spec: {
      kind: 'trends',
      interval: 'hour',
      tz: 'UTC',
      series: [{ math: 'events', event: 'pageview' }],
      breakdown: 'page',
      breakdown_limit: 10,
    },
  },
  {
    name: 'trends: events + persons per day by country',
    spec: {
      kind: 'trends',
      interval: 'day',
      tz: 'Europe/Berlin',
      series: [{ math: 'events' }, { math: 'persons' }],
      breakdown: 'country',
      breakdown_limit: 5,
    },
  },
  {
    name: 'trends: sessions + p90 amount per day',
    spec: {
      kind: 'trends',
      interval: 'day',
      tz: 'Europe/Berlin',
      series: [{ math: 'sessions' }, { math: 'p90', event: 'checkout', property: 'amount' }],
    },
  },
  { name: 'paths: pages per visit, depth 5', spec: { kind: 'paths', depth: 5, top: 5 } },
  {
    name: 'attribution: all six models, 30-day lookback',
    spec: {
      kind: 'attribution',
      conversion: { event: 'checkout', value: 'properties.amount' },
      lookback_days: 30,
    },
  },
  {
    name: 'funnel: 3 steps, 7-day window',
    spec: { kind: 'funnel', steps: FUNNEL_STEPS, window_s: 604_800 },
    native: NATIVE_FUNNEL_SQL,
  },
  {
    name: 'funnel: 3 steps, strict order',
    spec: { kind: 'funnel', steps: FUNNEL_STEPS, window_s: 604_800, order: 'strict' },
  },
  {
    name: 'funnel: 3 steps, any order',
    spec: { kind: 'funnel', steps: FUNNEL_STEPS, window_s: 604_800, order: 'any_order' },
  },
  {
    name: 'funnel: 3 steps, daily conversion trend',
    spec: { kind: 'funnel', steps: FUNNEL_STEPS, window_s: 604_800, interval: 'day', tz: 'UTC' },
  },
  {
    // A person-property cohort: each person's latest `plan` trait, as of `to`, over all events.
    name: 'funnel: 3 steps, persons with a property (cohort)',
    spec: {
      kind: 'funnel',
      steps: FUNNEL_STEPS,
      window_s: 604_800,
      cohort: { has: { property: 'plan', op: 'is', value: 'pro' } },
    },
  },
  {
    name: 'funnel: 3 steps, persons who did a goal (cohort)',
    spec: {
      kind: 'funnel',
      steps: FUNNEL_STEPS,
      window_s: 604_800,
      // The 30 days of data (END and FROM below).
      cohort: { did: { event: 'video_played' }, from: '2025-12-02', to: '2026-01-01' },
    },
  },
  {
    name: 'retention: weekly, signup then any event',
    spec: { kind: 'retention', start: { event: 'signup' }, period: 'week', tz: 'UTC' },
    native: NATIVE_RETENTION_SQL,
  },
]

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    iterations: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '1' },
    /** Only the cases whose name contains this. */
    only: { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('./results/', import.meta.url)) },
  },
})
const EVENTS = Number(args.events)
const ITERATIONS = Number(args.iterations)
const WARMUP = Number(args.warmup)
const END = new Date('2026-01-01T00:00:00Z')
const FROM = new Date(END.getTime() - 30 * 86_400_000)
const KEY = 'rk_bench_queries_000001'
const SITE = 'bench'
// The machine is shared: the load around the run is part of the result.
const LOAD_AT_START = loadavg().map((n) => Math.round(n * 100) / 100)

interface CaseResult {
  name: string
  api: Percentiles
  direct: Percentiles
  /** API p50 − direct p50, ms. */
  overheadP50Ms: number
  /** The case's native ClickHouse question (its `native` SQL), timed in the same alternation. */
  native?: Percentiles
  /** What the API's answer was computed from (meta.source): the events or the hourly rollup. */
  source: string
  /** The API answering the same spec from its result cache (no data committed in between). */
  cachedP50Ms: number
  rawApiMs: number[]
  rawDirectMs: number[]
  rawNativeMs?: number[]
}
interface Percentiles {
  p50: number
  p99: number
  max: number
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b)
  // Nearest rank; with few runs p99 is the slowest run.
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1)!) }
}
const round = (ms: number) => Math.round(ms * 100) / 100

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sightline-bench-queries-'))
  const warehouse = await openWarehouse({
    mode: 'embedded',
    path: dir,
    database: 'bench',
    // Bounds for a benchmark: raw scans of 10M rows are allowed their time here.
    reads: { maxExecutionTimeS: 300, maxMemoryBytes: 8 * 1024 ** 3 },
  })
  try {
    await migrate(warehouse)
    const loadStarted = performance.now()
    await loadSyntheticEvents(warehouse, EVENTS, END)
    const loadMs = performance.now() - loadStarted
    const count = await warehouse.query({
      name: 'bench.count',
      sql: 'SELECT count() AS n FROM events',
      row: z.object({ n: z.coerce.number() }),
    })
    console.log(`loaded ${fmt(count[0]!.n)} events in ${fmt(loadMs)} ms`)
    const results = await measure(warehouse)
    report({ loadMs, results })
  } finally {
    await warehouse.close()
    await rm(dir, { recursive: true, force: true })
  }
}

async function measure(warehouse: Warehouse): Promise<CaseResult[]> {
  const keys = staticReadKeys({ read_keys: [{ key: KEY, sites: [SITE] }] })
  const clock = () => END
  // Cache off (no watermark): every API request runs its query, like the direct one.
  const plain = listen(createApp({ warehouse, keys, clock }))
  // Cache on, with no inserts during the run: the second request on is a hit.
  const cached = listen(createApp({ warehouse, keys, clock, watermark: insertWatermark() }))
  const [plainUrl, cachedUrl] = await Promise.all([plain.url, cached.url])
  const post = async (base: string, spec: Record<string, unknown>) => {
    const res = await fetch(`${base}/v1/sites/${SITE}/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      // A case's own range wins over the 30 days of data.
      body: JSON.stringify({ from: FROM.toISOString(), to: END.toISOString(), ...spec }),
    })
    const body = await res.text()
    if (res.status !== 200) throw new Error(`${res.status}: ${body.slice(0, 300)}`)
    return body
  }
  const results: CaseResult[] = []
  try {
    for (const c of CASES.filter((x) => args.only === undefined || x.name.includes(args.only))) {
      const planned = JSON.parse(await post(plainUrl, { ...c.spec, explain: true })) as {
        sql: string
        params: Record<string, unknown>
      }
      const direct = () =>
        warehouse.query({ name: 'bench.direct', sql: planned.sql, params: planned.params, row: z.unknown() })
      const timed = async (run: () => Promise<unknown>) => {
        const started = performance.now()
        await run()
        return performance.now() - started
      }
      const nativeSql = c.native
      const native =
        nativeSql === undefined
          ? undefined
          : () =>
              warehouse.query({
                name: 'bench.native',
                sql: nativeSql,
                params: { site: SITE, from: FROM, to: END },
                row: z.unknown(),
              })
      let source = '?'
      for (let i = 0; i < WARMUP; i++) {
        source =
          (JSON.parse(await post(plainUrl, c.spec)) as { meta: { source?: string } }).meta.source ?? '?'
        await direct()
        await native?.()
      }
      const api: number[] = []
      const raw: number[] = []
      const nativeMs: number[] = []
      const runs: Array<[number[], () => Promise<unknown>]> = [
        [api, () => post(plainUrl, c.spec)],
        [raw, direct],
        ...(native === undefined ? [] : ([[nativeMs, native]] as Array<[number[], () => Promise<unknown>]>)),
      ]
      for (let i = 0; i < ITERATIONS; i++) {
        // Rotate which goes first, so a slow moment of the machine hits each alike.
        for (let j = 0; j < runs.length; j++) {
          const [into, run] = runs[(i + j) % runs.length]!
          into.push(await timed(run))
        }
      }
      await post(cachedUrl, c.spec)
      const hits: number[] = []
      for (let i = 0; i < Math.max(5, Math.min(ITERATIONS, 10)); i++)
        hits.push(await timed(() => post(cachedUrl, c.spec)))
      const result: CaseResult = {
        name: c.name,
        source,
        api: percentiles(api),
        direct: percentiles(raw),
        overheadP50Ms: round(percentiles(api).p50 - percentiles(raw).p50),
        ...(native === undefined ? {} : { native: percentiles(nativeMs), rawNativeMs: nativeMs.map(round) }),
        cachedP50Ms: percentiles(hits).p50,
        rawApiMs: api.map(round),
        rawDirectMs: raw.map(round),
      }
      console.log(
        `${c.name} (${source}): API p50 ${result.api.p50} ms p99 ${result.api.p99} · direct p50 ${result.direct.p50} p99 ${result.direct.p99} · overhead ${result.overheadP50Ms} ms · cached ${result.cachedP50Ms} ms${result.native === undefined ? '' : ` · native p50 ${result.native.p50} p99 ${result.native.p99}`}`,
      )
      results.push(result)
    }
  } finally {
    plain.close()
    cached.close()
  }
  return results
}

function listen(app: ReturnType<typeof createApp>) {
  let resolveUrl: (url: string) => void = () => {}
  const url = new Promise<string>((resolve) => {
    resolveUrl = resolve
  })
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
    resolveUrl(`http://127.0.0.1:${info.port}`),
  )
  return { url, close: () => server.close() }
}

function report(run: { loadMs: number; results: CaseResult[] }): void {
  const out = args.out
  mkdirSync(out, { recursive: true })
  const name = `queries-${EVENTS >= 1_000_000 ? `${EVENTS / 1_000_000}m` : `${EVENTS / 1000}k`}`
  const json = {
    benchmark: 'queries',
    date: new Date().toISOString(),
    machine: machineInfo(),
    parameters: { events: EVENTS, iterations: ITERATIONS, warmup: WARMUP, range_days: 30 },
    load_average_at_start: LOAD_AT_START,
    load_average_at_end: loadavg().map((n) => Math.round(n * 100) / 100),
    load_ms: Math.round(run.loadMs),
    cases: run.results,
    notes: [
      'API: POST /v1/sites/bench/query over HTTP (node:http on 127.0.0.1, fetch from the same process), result cache off.',
      'direct: the events plan the API shows in explain (never the rollup), run with warehouse.query in the same process; where the API answered from the hourly rollup (source), API against direct is rollup against raw events.',
      'cached: the same spec from an app with the result cache on and no commits during the run.',
      'native: the same question asked of ClickHouse the straight way (windowFunnel, retention) on the same rows, persons as stored (no identity merges), timed in the same rotation.',
      'p99 is nearest-rank over the iterations: with few iterations it is the slowest run.',
    ],
  }
  writeFileSync(join(out, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`)
  const lines = [
    `# Query latency, ${fmt(EVENTS)} events (${json.date.slice(0, 10)}, ${json.machine.cpus} cores, commit ${json.machine.commit ?? '?'})`,
    '',
    `Loaded in ${fmt(run.loadMs)} ms. ${ITERATIONS} timed runs per case after ${WARMUP} warm-up runs; 30-day range. Load average (1/5/15 min) at start ${LOAD_AT_START.join(' / ')}, at end ${json.load_average_at_end.join(' / ')}.`,
    '',
    '| case | API source | API p50 ms | API p99 ms | direct (events) p50 ms | direct p99 ms | API − direct p50 ms | cached p50 ms | native p50 ms |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...run.results.map(
      (r) =>
        `| ${r.name} | ${r.source} | ${r.api.p50} | ${r.api.p99} | ${r.direct.p50} | ${r.direct.p99} | ${r.overheadP50Ms} | ${r.cachedP50Ms} | ${r.native?.p50 ?? '—'} |`,
    ),
    '',
    ...json.notes.map((n) => `- ${n}`),
    '',
  ]
  writeFileSync(join(out, `${name}.md`), lines.join('\n'))
  console.log(`wrote ${join(out, `${name}.json`)} and .md`)
}

await main()
