// The cost of identity merges at query time (docs/adr/0020-person-overrides.md): the stats
// and trends plans as the query service runs them (events joined with person_overrides,
// queries/personEvents) against the same plans with the join taken out (the stored
// person_id), in the same process on the same data, for overrides of 0, 20 % and 100 % of
// the site's ids. Writes bench/results/person-overrides.{json,md}.
//
//   node scripts/run.mjs exec tsx bench/person-overrides.ts [--events 1000000] [--persons 100000] [--runs 7] [--stats]
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { planStats, planTrends } from '@sightline/query-service'
import { migrate, openWarehouse, type Warehouse } from '@sightline/warehouse'
import { z } from 'zod'

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    persons: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '7' },
    // The stats plan is dominated by its visit window functions (~10 s at 1M events here), so
    // it is opt-in: the overrides join is the same one trends has.
    stats: { type: 'boolean', default: false },
  },
})
const EVENTS = Number(values.events)
const PERSONS = Number(values.persons)
const RUNS = Number(values.runs)
const SITE = 'bench'
const FROM = new Date('2024-03-01T00:00:00Z')
const TO = new Date('2024-03-29T00:00:00Z')

/** The same compiled plan with the overrides join removed: what counting stored ids costs. */
function withoutOverrides(sql: string): string {
  const join =
    /\n\s*LEFT ANY JOIN \(\s*SELECT id, argMax\(person, version\) AS merged_into[\s\S]*?\) AS o ON o\.id = ev\.person_id/g
  const person = /if\(o\.merged_into = '', ev\.person_id, o\.merged_into\) AS person/g
  const out = sql.replace(join, '').replace(person, 'ev.person_id AS person')
  if (out === sql || out.includes('person_overrides'))
    throw new Error('the plan no longer has the expected join')
  return out
}

const Any = z.record(z.string(), z.unknown())

async function time(
  w: Warehouse,
  name: string,
  sql: string,
  params: Record<string, unknown>,
): Promise<number> {
  const started = performance.now()
  await w.query({ name, sql, params, row: Any, limits: { maxExecutionTimeS: 120 } })
  return performance.now() - started
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'bench-overrides-'))
  const w = await openWarehouse({ mode: 'embedded', path: dir, database: 'bench_overrides' })
  await migrate(w)
  const span = (TO.getTime() - FROM.getTime()) / 1000
  // Synthetic rows straight from numbers(): one page view each, PERSONS stored ids spread
  // over 28 days; only the columns the two plans read carry values.
  await w.command({
    name: 'bench.events',
    sql: `INSERT INTO events (site_id, ts, received_at, client_ts, type, event, message_id, anonymous_id, person_id, page_path, retention_days)
          SELECT '${SITE}', toDateTime64('2024-03-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(intHash32(number) % ${span * 1000}),
                 now64(3), now64(3), 'page', '$pageview', toString(number),
                 concat('p', toString(intHash64(number) % ${PERSONS})),
                 concat('p', toString(intHash64(number) % ${PERSONS})),
                 '/', 10000
          FROM numbers(${EVENTS})`,
  })
  const results: Array<Record<string, unknown>> = []
  let explain = ''
  for (const share of [0, 0.2, 1]) {
    await w.command({ name: 'bench.truncate', sql: 'TRUNCATE TABLE person_overrides' })
    const merged = Math.floor(PERSONS * share)
    if (merged > 0) {
      // Pairs merged into the even id: p(2k+1) → p(2k), and p(2k) → itself, as the writer keeps them.
      await w.command({
        name: 'bench.overrides',
        sql: `INSERT INTO person_overrides SELECT '${SITE}', concat('p', toString(number)),
                concat('p', toString(number - number % 2)), 1, now64(3) FROM numbers(${merged})`,
      })
    }
    const plans = [
      [
        'trends',
        planTrends({ site: SITE, from: FROM, to: TO, includeBots: false, interval: 'day', tz: 'UTC' }),
      ],
      ...(values.stats
        ? [['stats', planStats({ site: SITE, from: FROM, to: TO, includeBots: false })] as const]
        : []),
    ] as const
    for (const [kind, planned] of plans) {
      const base = withoutOverrides(planned.sql)
      const runs = { with: [] as number[], without: [] as number[] }
      await time(w, 'warm', planned.sql, planned.params)
      await time(w, 'warm', base, planned.params)
      for (let i = 0; i < RUNS; i++) {
        // Alternating order, so drift on a shared machine hits both sides alike.
        if (i % 2 === 0) {
          runs.with.push(await time(w, `${kind}.with`, planned.sql, planned.params))
          runs.without.push(await time(w, `${kind}.without`, base, planned.params))
        } else {
          runs.without.push(await time(w, `${kind}.without`, base, planned.params))
          runs.with.push(await time(w, `${kind}.with`, planned.sql, planned.params))
        }
      }
      const row = {
        kind,
        overrides: merged,
        with_ms: Math.round(median(runs.with)),
        without_ms: Math.round(median(runs.without)),
        ratio: Number((median(runs.with) / median(runs.without)).toFixed(2)),
        runs,
      }
      results.push(row)
      process.stdout.write(
        `${kind} overrides=${merged}: with ${row.with_ms} ms, without ${row.without_ms} ms, ×${row.ratio}\n`,
      )
      if (kind === 'trends' && share === 0.2) {
        const plan = await w.query({
          name: 'bench.explain',
          sql: `EXPLAIN ${planned.sql}`,
          params: planned.params,
          row: z.object({ explain: z.string() }),
        })
        explain = plan.map((r) => r.explain).join('\n')
      }
    }
  }
  await w.close()
  await rm(dir, { recursive: true, force: true })

  const out = fileURLToPath(new URL('./results/', import.meta.url))
  mkdirSync(out, { recursive: true })
  let commit: string | undefined
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {}
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', node: process.version, commit }
  const parameters = { events: EVENTS, persons: PERSONS, runs: RUNS, from: FROM, to: TO }
  writeFileSync(
    join(out, 'person-overrides.json'),
    `${JSON.stringify({ benchmark: 'person-overrides', date: new Date().toISOString(), machine, parameters, results, explain }, null, 2)}\n`,
  )
  const lines = [
    '# person-overrides',
    '',
    `${new Date().toISOString().slice(0, 10)}, commit ${commit ?? '?'}, ${machine.cpus} cores, ${EVENTS.toLocaleString('en')} events, ${PERSONS.toLocaleString('en')} stored ids, median of ${RUNS}.`,
    '',
    '| plan | override rows | with overrides (ms) | without (ms) | ratio |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...results.map((r) => `| ${r.kind} | ${r.overrides} | ${r.with_ms} | ${r.without_ms} | ${r.ratio} |`),
    '',
    'EXPLAIN of the trends plan (20 % merged):',
    '',
    '```',
    explain,
    '```',
    '',
  ]
  writeFileSync(join(out, 'person-overrides.md'), lines.join('\n'))
}

await main()
