import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openWarehouse } from '../src/open.ts'
import type { Warehouse } from '../src/port.ts'

/**
 * chdb binds one data path per process and vitest runs each file in its own process, so a
 * file gets one temp path and each test its own database inside it.
 */
export function chdbFixture(): { open(): Promise<Warehouse>; cleanup(): Promise<void>; path: string } {
  const path = mkdtempSync(join(tmpdir(), 'sightline-warehouse-'))
  const opened: Warehouse[] = []
  return {
    path,
    async open() {
      const w = await openWarehouse({
        mode: 'embedded',
        path,
        database: `db_${randomBytes(6).toString('hex')}`,
      })
      opened.push(w)
      return w
    },
    async cleanup() {
      for (const w of opened) await w.close()
      rmSync(path, { recursive: true, force: true })
    },
  }
}
