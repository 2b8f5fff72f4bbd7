/**
 * The funnel planner (arrays and lambdas, ADR 0022) against ClickHouse's own `windowFunnel`
 * on the same rows in the same run: time per query (median of runs) and whether the two agree
 * on how many persons reach each step. Small and bounded (one embedded warehouse, generated
 * events); the 20M-event figure belongs to the query benchmarks.
 *
 *   node scripts/run.mjs exec tsx bench/funnel-windowfunnel.ts [--events 150000] [--runs 5]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { stampEvent } from '@sightline/contracts'
import { createGenerator } from '@sightline/testing'
import { migrate, openWarehouse, toEventRow } from '@sightline/warehouse'
import { z } from 'zod'
import { funnel } from '../query-service/src/insights/funnel.ts'
import { bestAttempts } from '../query-service/src/insights/funnel-core.ts'
import { compile, sql } from '../query-service/src/sql/fragment.ts'

const { values } = parseArgs({
  options: { events: { type: 'string', default: '150000' }, runs: { type: 'string', default: '5' } },
})
const EVENTS = Number(values.events)
const RUNS = Number(values.runs)
const SITE = 'bench'
const FROM = new Date('2024-03-01T00:00:00Z')
const SPAN_MS = 14 * 86_400_000
const WINDOW_S = 86_400

const dir = await mkdtemp(join(tmpdir(), 'sightline-funnel-bench-'))
const warehouse = await openWarehouse({ mode: 'embedded', path: dir, database: 'funnel_bench' })
await migrate(warehouse)
const generator = createGenerator({
  seed: 'funnel-bench',
  sites: [SITE],
  visitors: 20_000,
  start: FROM,
  spanMs: SPAN_MS,
})
for (let done = 0; done < EVENTS; done += 50_000) {
  const rows = generator.events(Math.min(50_000, EVENTS - done)).map((e) => {
    const stamped = stampEvent(e, { siteId: SITE, receivedAt: e.timestamp!, ingestPath: 'native' })
    const bot = generator.isBot(e)
    return toEventRow(
      { ...stamped, bot: { is_bot: bot, score: bot ? 1 : 0, reasons: [] } },
      { retentionDays: 10_000 },
    )
  })
  await warehouse.insert('events', rows, { dedupToken: `bench-${done}` })
}

const to = new Date(FROM.getTime() + SPAN_MS)
const steps = ['pageview', 'signup_started', 'signup_completed'].map((event) => ({ event }))
const params = funnel.params.parse({
  from: FROM.toISOString(),
  to: to.toISOString(),
  steps,
  window_s: WINDOW_S,
})
const resolved = funnel.resolve(params, { site: SITE, now: to })
if (!('spec' in resolved)) throw new Error(resolved.refused)
const planned = funnel.plan(resolved.spec)

// The baseline answers "persons per level" with windowFunnel over the same rows the planner
// reads (starts in range, steps up to the window after `to`). It cannot keep starts inside
// the range, so it may count a few more attempts; the agreement line shows how many.
const baseline = {
  sql: `SELECT level, count() AS persons FROM (
  SELECT person_id, windowFunnel({window:UInt64}, 'strict_increase')(toUInt64(toUnixTimestamp64Milli(ts)),
    event = '$pageview', event = 'signup_started', event = 'signup_completed') AS level
  FROM events
  WHERE site_id = {site:String} AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {through:DateTime64(3, 'UTC')} AND NOT is_bot
    AND event IN ('$pageview', 'signup_started', 'signup_completed') AND person_id != ''
  GROUP BY person_id
) WHERE level > 0 GROUP BY level ORDER BY level`,
  params: {
    window: WINDOW_S * 1000,
    site: SITE,
    from: FROM.toISOString().replace('T', ' ').replace('Z', ''),
    through: new Date(to.getTime() + WINDOW_S * 1000).toISOString().replace('T', ' ').replace('Z', ''),
  },
}

async function time(name: string, q: { sql: string; params: Record<string, unknown> }) {
  const ms: number[] = []
  let rows: unknown[] = []
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now()
    rows = await warehouse.query({ name, sql: q.sql, params: q.params as never, row: z.any() }, {})
    ms.push(performance.now() - t0)
  }
  const sorted = [...ms].sort((a, b) => a - b)
  return { ms, median: sorted[Math.floor(sorted.length / 2)]!, rows }
}

const [shape] = await warehouse.query(
  {
    name: 'bench.shape',
    sql: `SELECT count() AS persons, max(c) AS max_events, avg(c) AS avg_events FROM (
  SELECT person_id, count() AS c FROM events WHERE NOT is_bot AND person_id != '' AND event IN ('$pageview', 'signup_started', 'signup_completed') GROUP BY person_id)`,
    row: z.any(),
  },
  {},
)
console.log('funnel events per person', shape)
const ours = await time('bench.funnel', planned)
console.log('planner', ours.ms)
const theirs = await time('bench.window_funnel', baseline)
const oursSteps = funnel.respond(
  resolved.spec,
  (ours.rows as unknown[]).map((r) => funnel.row.parse(r)),
).steps
const byLevel = new Map(
  (theirs.rows as { level: number; persons: string }[]).map((r) => [Number(r.level), Number(r.persons)]),
)
const theirSteps = [1, 2, 3].map((k) =>
  [...byLevel].filter(([level]) => level >= k).reduce((n, [, p]) => n + p, 0),
)
// Where the planner's time goes: the same query cut after the per-person arrays, and the
// baseline reading persons through the identity join instead of the raw person_id.
const perPerson = planned.sql.slice(planned.sql.search(/SELECT\s+person,\s+arraySort/))
const cut = perPerson.slice(0, perPerson.indexOf('GROUP BY person') + 'GROUP BY person'.length)
const arrays = await time('bench.funnel_arrays_only', {
  sql: `SELECT count() FROM (${cut})`,
  params: planned.params,
})
const attemptsOnly = compile(
  sql`SELECT count(), sum(length(best.1)) FROM (${bestAttempts(resolved.spec, {})})`,
)
const attempts = await time('bench.funnel_attempts_only', attemptsOnly)
const result = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model },
  parameters: { events: EVENTS, runs: RUNS, window_s: WINDOW_S, steps: 3 },
  funnel_events_per_person: shape,
  planner: { runs_ms: ours.ms, median_ms: ours.median, persons_per_step: oursSteps.map((s) => s.persons) },
  windowFunnel: { runs_ms: theirs.ms, median_ms: theirs.median, persons_per_step: theirSteps },
  ratio: ours.median / theirs.median,
  planner_arrays_only: { runs_ms: arrays.ms, median_ms: arrays.median },
  planner_best_attempts_only: { runs_ms: attempts.ms, median_ms: attempts.median },
}
await mkdir(new URL('results/', import.meta.url), { recursive: true })
await writeFile(
  new URL('results/funnel-windowfunnel.json', import.meta.url),
  `${JSON.stringify(result, null, 2)}\n`,
)
console.log(JSON.stringify(result, null, 2))
await warehouse.close()
await rm(dir, { recursive: true, force: true })
