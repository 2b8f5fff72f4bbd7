// Measures candidate `events` sort keys and the properties column type on generated data.
//   node --import tsx packages/warehouse/scripts/measure-layout.ts [rows]
// Writes a markdown table to stdout (numbers quoted in docs/adr/0003-events-table-layout.md).
// chdb has no system.query_log and its read_rows summary counts result rows, so rows read are
// taken from `EXPLAIN ESTIMATE` (rows in the granules the primary key selects) and time as the
// median of several runs.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { openWarehouse } from '../src/open.ts'
import type { QueryParams } from '../src/port.ts'

const ROWS = Number(process.argv[2] ?? 5_000_000)
const RUNS = 7

const CANDIDATES: Record<string, string> = {
  A_site_date_event_person: '(site_id, toDate(ts), event, cityHash64(person_id))',
  B_site_event_date_person: '(site_id, event, toDate(ts), cityHash64(person_id))',
  C_site_person_ts: '(site_id, cityHash64(person_id), ts)',
  D_site_ts: '(site_id, ts)',
}

// 50 sites with a skewed size (site_0 holds ~1/3 of rows), 90 days, 12 event names with
// $pageview dominant, 200k people, properties with a few common keys.
const GENERATE = `
SELECT
  'site_' || toString(if(rand(1) % 3 = 0, 0, rand(2) % 50)) AS site_id,
  toDateTime64('2025-01-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(rand64(3) % (90 * 86400000)) AS ts,
  arrayElement(['$pageview','$pageview','$pageview','$pageview','$pageview','$pageview','click','signup','purchase','$identify','search','share','download','video_play'], 1 + rand(4) % 14) AS event,
  'p' || toString(rand(5) % 200000) AS person_id,
  generateUUIDv4(number) AS message_id,
  '/' || arrayElement(['', 'pricing', 'docs', 'blog', 'about', 'signup'], 1 + rand(6) % 6) || '/' || toString(rand(7) % 500) AS page_path,
  toJSONString(map('plan', arrayElement(['free','pro','team','enterprise'], 1 + rand(8) % 4), 'price', toString(rand(9) % 1000), 'variant', 'v' || toString(rand(10) % 7))) AS props
FROM numbers(${ROWS})`

async function main(): Promise<void> {
  const path = mkdtempSync(join(tmpdir(), 'sightline-layout-'))
  const w = await openWarehouse({ mode: 'embedded', path, database: 'layout' })
  // A measurement, not a dashboard: reads may take minutes and memory.
  const AnyRow = z.record(z.string(), z.unknown())
  const loose = { maxExecutionTimeS: 3_600, maxResultRows: 10_000_000, maxMemoryBytes: 16 * 1024 ** 3 }
  const read = async <T>(sql: string, params?: QueryParams): Promise<T[]> =>
    (await w.query({
      name: 'measure.layout',
      sql,
      row: AnyRow,
      limits: loose,
      ...(params ? { params } : {}),
    })) as T[]
  const exec = (sql: string) => w.command({ name: 'measure.layout_setup', sql })
  try {
    const t0 = performance.now()
    await exec(`CREATE TABLE src ENGINE = MergeTree ORDER BY tuple() AS ${GENERATE}`)
    console.error(`generated ${ROWS} rows in ${Math.round(performance.now() - t0)} ms`)
    for (const [name, key] of Object.entries(CANDIDATES)) {
      await exec(`CREATE TABLE ${name} (site_id LowCardinality(String), ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
        event LowCardinality(String), person_id String CODEC(ZSTD(1)), message_id String CODEC(ZSTD(1)),
        page_path String CODEC(ZSTD(3)), properties JSON)
        ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY ${key}`)
      await exec(
        `INSERT INTO ${name} SELECT site_id, ts, event, person_id, toString(message_id), page_path, props FROM src`,
      )
      await exec(`OPTIMIZE TABLE ${name} FINAL`)
    }
    // Same layout as A with properties kept as text, for the JSON-type comparison.
    await exec(`CREATE TABLE A_props_string (site_id LowCardinality(String), ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
      event LowCardinality(String), person_id String CODEC(ZSTD(1)), message_id String CODEC(ZSTD(1)),
      page_path String CODEC(ZSTD(3)), properties String CODEC(ZSTD(3)))
      ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY ${CANDIDATES.A_site_date_event_person}`)
    await exec(
      'INSERT INTO A_props_string SELECT site_id, ts, event, person_id, toString(message_id), page_path, props FROM src',
    )
    await exec('OPTIMIZE TABLE A_props_string FINAL')

    const range = "site_id = 'site_0' AND ts >= '2025-03-01 00:00:00' AND ts < '2025-03-08 00:00:00'"
    const queries: Record<string, string> = {
      stats: `SELECT countIf(event = '$pageview') AS pageviews, uniq(person_id) AS visitors, count() AS events FROM {t} WHERE ${range}`,
      trends: `SELECT toStartOfDay(ts) AS d, count() AS c, uniq(person_id) AS u FROM {t} WHERE ${range} AND event = 'signup' GROUP BY d ORDER BY d`,
      small_site_stats: `SELECT count(), uniq(person_id) FROM {t} WHERE site_id = 'site_7' AND ts >= '2025-03-01 00:00:00' AND ts < '2025-03-08 00:00:00'`,
    }
    const out: string[] = [
      '| table | query | est. rows read | granules | median ms |',
      '|---|---|---:|---:|---:|',
    ]
    const tables = Object.keys(CANDIDATES)
    for (const table of tables) {
      for (const [qname, sql] of Object.entries(queries)) {
        const q = sql.replaceAll('{t}', table)
        const est = await read<{ rows: number }>(`EXPLAIN ESTIMATE ${q}`)
        const rows = est.reduce((sum, r) => sum + Number(r.rows), 0)
        const plan = await read<{ explain: string }>(`EXPLAIN indexes = 1 ${q}`)
        const granules = plan.map((r) => r.explain.trim()).filter((l) => l.startsWith('Granules:'))
        out.push(
          `| ${table} | ${qname} | ${rows} | ${granules.at(-1)?.replace('Granules: ', '') ?? '?'} | ${await median(() => read(q))} |`,
        )
      }
    }
    out.push('', '| table | bytes on disk (all columns) |', '|---|---:|')
    for (const table of tables) {
      const r = await read<{ b: number }>(
        "SELECT sum(data_compressed_bytes) AS b FROM system.parts WHERE database = 'layout' AND table = {t:String} AND active",
        { t: table },
      )
      out.push(`| ${table} | ${Number(r[0]?.b ?? 0)} |`)
    }
    out.push(
      '',
      '| properties as | bytes on disk (properties column) | filter `plan = pro` median ms | group by `variant` median ms |',
      '|---|---:|---:|---:|',
    )
    const size = async (table: string): Promise<number> => {
      const r = await read<{ b: number }>(
        "SELECT sum(data_compressed_bytes) AS b FROM system.columns WHERE database = 'layout' AND table = {t:String} AND name = 'properties'",
        { t: table },
      )
      return Number(r[0]?.b ?? 0)
    }
    const jsonFilter = `SELECT count() FROM A_site_date_event_person WHERE ${range} AND properties.plan::String = 'pro'`
    const jsonGroup = `SELECT properties.variant::String AS v, count() FROM A_site_date_event_person WHERE ${range} GROUP BY v`
    const strFilter = `SELECT count() FROM A_props_string WHERE ${range} AND JSONExtractString(properties, 'plan') = 'pro'`
    const strGroup = `SELECT JSONExtractString(properties, 'variant') AS v, count() FROM A_props_string WHERE ${range} GROUP BY v`
    out.push(
      `| JSON | ${await size('A_site_date_event_person')} | ${await median(() => read(jsonFilter))} | ${await median(() => read(jsonGroup))} |`,
    )
    out.push(
      `| String + JSONExtract | ${await size('A_props_string')} | ${await median(() => read(strFilter))} | ${await median(() => read(strGroup))} |`,
    )
    console.log(out.join('\n'))
  } finally {
    await w.close()
    rmSync(path, { recursive: true, force: true })
  }
}

async function median(run: () => Promise<unknown>): Promise<number> {
  await run()
  const times: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now()
    await run()
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  return Math.round((times[Math.floor(RUNS / 2)] ?? 0) * 10) / 10
}

await main()
