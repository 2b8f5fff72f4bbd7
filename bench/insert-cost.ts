// Where an ingested event's CPU goes in the embedded writer, stage by stage, on this machine:
// decoding the edge batch (JSON.parse), encoding the row (toEventRow + the JSONEachRow line),
// and chdb's insert of those lines — into `events` as migrated (with the hourly rollup's
// materialized view), into a copy without the view, and into a copy whose `properties` and
// `traits` are String instead of JSON. Same rows, same process, variants interleaved round by
// round, so the ratios between them are what to read. See bench/README.md.
//
//   node scripts/run.mjs exec tsx bench/insert-cost.ts [--rows 10000] [--rounds 5]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { EnrichedEvent } from '@sightline/contracts'
import { EncodedRow, encodeRow, migrate, openWarehouse, toEventRow } from '@sightline/warehouse'
import { prepareBatches } from './lib/batches.ts'
import { machineInfo } from './lib/report.ts'

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '5' },
    out: { type: 'string', default: fileURLToPath(new URL('./results/', import.meta.url)) },
  },
})
const ROWS = Number(args.rows)
const ROUNDS = Number(args.rounds)
const log = (msg: string) => process.stderr.write(`[insert-cost] ${msg}\n`)

const VARIANTS = [
  { table: 'events', what: 'events as migrated (JSON properties, hourly rollup view)' },
  { table: 'events_no_view', what: 'same table, no materialized view' },
  { table: 'events_string_props', what: 'no view, properties and traits as String' },
] as const

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}
const perRow = (ms: number) => Math.round(((ms * 1000) / ROWS) * 10) / 10

async function main() {
  // One more round than timed: the first warms the engine and the JIT, and is dropped.
  const total = ROWS * (ROUNDS + 1)
  log(`preparing ${total.toLocaleString('en')} events as edge batches of 500…`)
  const batches = prepareBatches('insert-cost', total * VARIANTS.length, 500)
  const dir = mkdtempSync(join(tmpdir(), 'sightline-insert-cost-'))
  const warehouse = await openWarehouse({ mode: 'embedded', path: join(dir, 'chdb'), database: 'bench' })
  try {
    await migrate(warehouse)
    await warehouse.command({ name: 'bench.no_view', sql: 'CREATE TABLE events_no_view AS events' })
    await warehouse.command({ name: 'bench.string_props', sql: 'CREATE TABLE events_string_props AS events' })
    await warehouse.command({
      name: 'bench.string_props_alter',
      sql: 'ALTER TABLE events_string_props MODIFY COLUMN properties String, MODIFY COLUMN traits String',
    })

    const decodeMs: number[] = []
    const encodeMs: number[] = []
    const insertMs = new Map<string, number[]>(VARIANTS.map((v) => [v.table, []]))
    let next = 0
    for (let round = 0; round <= ROUNDS; round++) {
      for (const variant of VARIANTS) {
        // Fresh events per insert (no dedup hits): ROWS events' worth of whole batches.
        const bodies: Buffer[] = []
        for (let n = 0; n < ROWS; ) {
          const batch = batches[next++]!
          bodies.push(batch.body)
          n += batch.events
        }
        let t = performance.now()
        const events = bodies.flatMap(
          (b) => (JSON.parse(b.toString('utf8')) as { events: EnrichedEvent[] }).events,
        )
        const decoded = performance.now() - t
        t = performance.now()
        const rows = events
          .slice(0, ROWS)
          .map((e) => new EncodedRow(encodeRow(toEventRow(e), { omitZeroValues: true }), e.site_id))
        const encoded = performance.now() - t
        t = performance.now()
        await warehouse.insert(variant.table, rows, { dedupToken: `insert-cost-${round}-${variant.table}` })
        const inserted = performance.now() - t
        if (round === 0) continue
        decodeMs.push((decoded * ROWS) / events.length)
        encodeMs.push(encoded)
        insertMs.get(variant.table)!.push(inserted)
      }
      if (round > 0) log(`round ${round}/${ROUNDS} done`)
    }

    const results = {
      benchmark: 'insert-cost',
      date: new Date().toISOString(),
      machine: machineInfo(),
      parameters: { rowsPerInsert: ROWS, rounds: ROUNDS },
      baseline: 'events_no_view and events_string_props, in the same process and rounds as events',
      usPerRow: {
        decode: perRow(median(decodeMs)),
        encode: perRow(median(encodeMs)),
        insert: Object.fromEntries(VARIANTS.map((v) => [v.table, perRow(median(insertMs.get(v.table)!))])),
      },
      raw: { decodeMs, encodeMs, insertMs: Object.fromEntries(insertMs) },
    }
    const base = results.usPerRow.insert.events!
    const lines = [
      '# Insert cost: an event through the embedded writer, stage by stage',
      '',
      `${results.date} · ${results.machine.cpus} × ${results.machine.cpuModel} · Node ${process.version} · ${ROWS.toLocaleString('en')} rows per insert, median of ${ROUNDS} rounds (one warm-up round dropped)`,
      '',
      '| stage | µs per row | vs insert into events |',
      '| --- | ---: | ---: |',
      `| decode (JSON.parse of edge batches) | ${results.usPerRow.decode} | — |`,
      `| encode (toEventRow + JSONEachRow line) | ${results.usPerRow.encode} | — |`,
      ...VARIANTS.map((v) => {
        const us = results.usPerRow.insert[v.table]!
        return `| insert (lines joined, handed to chdb): ${v.what} | ${us} | ${(us / base).toFixed(2)}× |`
      }),
      '',
      'Background merges of the parts these inserts create are not in the figures (they run later, on the engine’s own threads).',
      '',
    ]
    mkdirSync(args.out!, { recursive: true })
    writeFileSync(join(args.out!, 'insert-cost.json'), `${JSON.stringify(results, null, 2)}\n`)
    writeFileSync(join(args.out!, 'insert-cost.md'), lines.join('\n'))
    process.stdout.write(lines.join('\n'))
  } finally {
    await warehouse.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
