import { cpSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sqlRows } from '../src/inspect.ts'
import { DEFAULT_MIGRATIONS_DIR, loadMigrations, migrate, splitStatements } from '../src/migrate.ts'
import { chdbFixture } from './chdb-fixture.ts'

const chdb = chdbFixture()
afterAll(() => chdb.cleanup())

function copyOfMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-migrations-'))
  cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true })
  return dir
}

describe('migrate', () => {
  it('applies the repository migrations in order and records them', async () => {
    const w = await chdb.open()
    const log: string[] = []
    const result = await migrate(w, { log: (m) => log.push(m) })
    // Every repository migration, in numeric order (new ones must not break this test).
    const files = (await loadMigrations()).map((m) => m.file)
    expect(files.slice(0, 2)).toEqual(['0001_events.sql', '0002_rejected.sql'])
    expect(result.applied).toEqual(files)
    expect(result.skipped).toEqual([])
    expect(log.some((m) => m.includes('0001_events.sql'))).toBe(true)
    const tables = await sqlRows<{ name: string }>(
      w,
      'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name',
    )
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['events', 'rejected', 'schema_migrations']),
    )
    const ledger = await sqlRows<{ version: number; name: string }>(
      w,
      'SELECT version, name FROM schema_migrations ORDER BY version',
    )
    expect(ledger.slice(0, 2)).toEqual([
      { version: 1, name: 'events' },
      { version: 2, name: 'rejected' },
    ])
    expect(ledger).toHaveLength(files.length)
  })

  it('is a no-op the second time', async () => {
    const w = await chdb.open()
    await migrate(w)
    const again = await migrate(w)
    const files = (await loadMigrations()).map((m) => m.file)
    expect(again).toEqual({ applied: [], skipped: files })
    const [row] = await sqlRows<{ c: number }>(w, 'SELECT count() AS c FROM schema_migrations')
    expect(Number(row?.c)).toBe(files.length)
  })

  it('refuses an applied migration whose file changed, naming the file', async () => {
    const w = await chdb.open()
    const dir = copyOfMigrations()
    await migrate(w, { dir })
    writeFileSync(
      join(dir, '0002_rejected.sql'),
      'CREATE TABLE IF NOT EXISTS rejected (x UInt8) ENGINE = Memory;\n',
    )
    await expect(migrate(w, { dir })).rejects.toThrow(/0002_rejected\.sql/)
  })

  it('applies only the new file, with several statements', async () => {
    const w = await chdb.open()
    const dir = copyOfMigrations()
    await migrate(w, { dir })
    writeFileSync(
      join(dir, '9999_extra.sql'),
      "-- two statements\nCREATE TABLE IF NOT EXISTS t1 (a UInt8) ENGINE = MergeTree ORDER BY a;\nCREATE TABLE IF NOT EXISTS t2 (s String DEFAULT 'x;y') ENGINE = MergeTree ORDER BY s\n;\n",
    )
    const result = await migrate(w, { dir })
    expect(result.applied).toEqual(['9999_extra.sql'])
    const [row] = await sqlRows<{ c: number }>(
      w,
      "SELECT count() AS c FROM system.tables WHERE database = currentDatabase() AND name IN ('t1', 't2')",
    )
    expect(Number(row?.c)).toBe(2)
  })

  it('refuses badly named files', async () => {
    const dir = copyOfMigrations()
    writeFileSync(join(dir, '4_oops.sql'), 'SELECT 1;\n')
    await expect(loadMigrations(dir)).rejects.toThrow(/4_oops\.sql/)
  })
})

describe('splitStatements', () => {
  it('splits on line-ending semicolons and drops comment lines', () => {
    expect(splitStatements("-- c\nSELECT 'a;b';\n\nSELECT 2\n;\n-- trailing\n")).toEqual([
      "SELECT 'a;b'",
      'SELECT 2',
    ])
  })
})
