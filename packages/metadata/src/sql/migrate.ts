import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Sql } from './client.ts'

export const MIGRATIONS_DIR = join(import.meta.dirname, '..', '..', 'migrations')

export interface Migration {
  id: number
  name: string
  sql: string
}

/** `NNNN_name.sql`, in number order; a gap or a duplicate number is a packaging mistake. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      id: Number(f.slice(0, 4)),
      name: f.slice(5, -4),
      sql: readFileSync(join(dir, f), 'utf8'),
    }))
  migrations.forEach((m, i) => {
    if (m.id !== i + 1) throw new Error(`metadata migrations: expected ${i + 1}, found ${m.id} (${m.name})`)
  })
  return migrations
}

/** Any fixed number: serialises concurrent migrators on one server (two services starting at once). */
const MIGRATION_LOCK = 7_106_373

/**
 * Applies what is not applied yet, each migration in its own transaction with its record,
 * so a failure leaves the database at the previous number. Re-running is a no-op.
 */
export async function migrateMetadata(sql: Sql, migrations = loadMigrations()): Promise<number[]> {
  await sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
  })
  const applied: number[] = []
  for (const m of migrations) {
    const done = await sql.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
      const { rows } = await tx.query('SELECT 1 FROM schema_migrations WHERE id = $1', [m.id])
      if (rows.length > 0) return false
      await tx.exec(m.sql)
      await tx.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [m.id, m.name])
      return true
    })
    if (done) applied.push(m.id)
  }
  return applied
}
