import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { toClickHouseTime } from './event-row.ts'
import type { Warehouse } from './port.ts'

/** The repository's migrations, found from this file so any working directory works. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../../infra/clickhouse/', import.meta.url))

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/

export interface MigrationFile {
  version: number
  name: string
  file: string
  checksum: string
  statements: string[]
}

export interface MigrateOptions {
  dir?: string
  log?: (msg: string) => void
}

export interface MigrateResult {
  applied: string[]
  skipped: string[]
}

/**
 * Statements end with `;` at the end of a line. Splitting only there (not on every `;`) keeps
 * semicolons inside string literals or comments mid-line intact.
 */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((chunk) =>
      chunk
        .split(/\r?\n/)
        .filter((line) => !/^\s*--/.test(line))
        .join('\n')
        .trim(),
    )
    .filter((statement) => statement.length > 0)
}

export async function loadMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort()
  const migrations: MigrationFile[] = []
  const seen = new Map<number, string>()
  for (const file of files) {
    const match = FILE_NAME.exec(file)
    if (!match) throw new Error(`migration file name must look like NNNN_name.sql: ${file}`)
    const version = Number(match[1])
    const clash = seen.get(version)
    if (clash) throw new Error(`migrations ${clash} and ${file} share version ${version}`)
    seen.set(version, file)
    // Line endings are normalised so a checkout on Windows does not look like an edit.
    const text = (await readFile(join(dir, file), 'utf8')).replace(/\r\n/g, '\n')
    migrations.push({
      version,
      name: match[2] ?? file,
      file,
      checksum: createHash('sha256').update(text).digest('hex'),
      statements: splitStatements(text),
    })
  }
  return migrations.sort((a, b) => a.version - b.version)
}

const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations
(
    version    UInt32,
    name       String,
    checksum   String,
    applied_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY version`

const LedgerRow = z.object({ version: z.coerce.number(), name: z.string(), checksum: z.string() })

/**
 * Applies pending migrations in version order and records each one after all its statements
 * ran. ClickHouse DDL is not transactional, so statements use IF NOT EXISTS: a run that died
 * half-way through a file simply re-runs that file. Not safe against two concurrent runners.
 */
export async function migrate(warehouse: Warehouse, options: MigrateOptions = {}): Promise<MigrateResult> {
  const log = options.log ?? (() => {})
  const migrations = await loadMigrations(options.dir)
  await warehouse.command({ name: 'schema_migrations.create', sql: CREATE_LEDGER })
  const rows = await warehouse.query(
    {
      name: 'schema_migrations.applied',
      sql: 'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
      row: LedgerRow,
    },
    { lane: 'ingest' },
  )
  const done = new Map(rows.map((row) => [row.version, row]))

  const result: MigrateResult = { applied: [], skipped: [] }
  for (const migration of migrations) {
    const previous = done.get(migration.version)
    if (previous) {
      if (previous.checksum !== migration.checksum) {
        throw new Error(
          `migration ${migration.file} was changed after it was applied (checksum ${previous.checksum.slice(0, 12)} → ${migration.checksum.slice(0, 12)}); add a new migration instead`,
        )
      }
      result.skipped.push(migration.file)
      continue
    }
    log(`applying ${migration.file} (${migration.statements.length} statement(s))`)
    for (const [i, sql] of migration.statements.entries())
      await warehouse.command({ name: `migration.${migration.version}.${i + 1}`, sql })
    await warehouse.insert(
      'schema_migrations',
      [
        {
          version: migration.version,
          name: migration.name,
          checksum: migration.checksum,
          applied_at: toClickHouseTime(Date.now()),
        },
      ],
      { dedupToken: `migration:${migration.version}:${migration.checksum}` },
    )
    result.applied.push(migration.file)
  }
  log(`migrations: ${result.applied.length} applied, ${result.skipped.length} already applied`)
  return result
}
