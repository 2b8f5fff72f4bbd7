// Regenerates src/insights/time-zones.gen.json from the embedded engine's own zone list
// (system.time_zones), so `tz` accepts exactly the names ClickHouse can load. Run after a
// chdb upgrade: node scripts/run.mjs exec tsx query-service/scripts/gen-time-zones.ts (a test fails until you do).
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openWarehouse } from '@sightline/warehouse'
import { sqlRows } from '@sightline/warehouse/inspect'

const dir = await mkdtemp(join(tmpdir(), 'sightline-tz-'))
const warehouse = await openWarehouse({ mode: 'embedded', path: dir, database: 'tz_list' })
try {
  const rows = await sqlRows<{ time_zone: string }>(
    warehouse,
    'SELECT time_zone FROM system.time_zones ORDER BY time_zone',
  )
  const target = join(import.meta.dirname, '../src/insights/time-zones.gen.json')
  await writeFile(
    target,
    `${JSON.stringify(
      rows.map((r) => r.time_zone),
      null,
      0,
    )}\n`,
  )
  console.log(`${rows.length} time zones written to ${target}`)
} finally {
  await warehouse.close()
  await rm(dir, { recursive: true, force: true })
}
