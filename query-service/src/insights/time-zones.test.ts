import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openWarehouse } from '@sightline/warehouse'
import { sqlRows } from '@sightline/warehouse/inspect'
import { describe, expect, it } from 'vitest'
import names from './time-zones.gen.json' with { type: 'json' }
import { isTimeZone } from './time-zones.ts'

describe('the time-zone list', () => {
  it('is exactly the embedded engine’s system.time_zones (regenerate with scripts/gen-time-zones.ts)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sightline-tz-'))
    const warehouse = await openWarehouse({
      mode: 'embedded',
      path: dir,
      database: `tz_${randomBytes(6).toString('hex')}`,
    })
    try {
      const rows = await sqlRows<{ time_zone: string }>(
        warehouse,
        'SELECT time_zone FROM system.time_zones ORDER BY time_zone',
      )
      expect(names).toEqual(rows.map((r) => r.time_zone))
    } finally {
      await warehouse.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('accepts IANA names exactly as spelt and nothing else', () => {
    for (const tz of ['UTC', 'Europe/Berlin', 'Asia/Kolkata', 'Pacific/Kiritimati', 'Etc/GMT+5']) {
      expect(isTimeZone(tz), tz).toBe(true)
    }
    for (const tz of ['utc', 'europe/berlin', '+05:30', 'GMT+05:30', 'Mars/Olympus_Mons', '', 'UTC ']) {
      expect(isTimeZone(tz), tz).toBe(false)
    }
  })
})
