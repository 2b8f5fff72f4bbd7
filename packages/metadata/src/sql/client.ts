import { mkdirSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'

/** What the store needs of a PostgreSQL connection: PGlite and node-postgres both fit. */
export interface Queryable {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }>
  /** Several statements, no parameters (migrations). */
  exec(text: string): Promise<void>
}

export interface Sql extends Queryable {
  /** Runs fn in one transaction on one connection; rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  close(): Promise<void>
  readonly kind: 'pglite' | 'postgres'
}

/**
 * PGlite: PostgreSQL compiled to WebAssembly, in this process. `dir` undefined = in memory.
 * One process may open a data directory at a time (it is a single-user PostgreSQL).
 */
export async function pgliteSql(dir?: string): Promise<Sql> {
  if (dir) mkdirSync(dir, { recursive: true, mode: 0o700 })
  const db = await PGlite.create(dir ? { dataDir: dir } : {})
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    query: async <T>(text: string, params?: unknown[]) => ({
      rows: (await q.query<T>(text, params as unknown[])).rows,
    }),
    exec: async (text) => {
      await q.exec(text)
    },
  })
  return {
    kind: 'pglite',
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  }
}

/** A PostgreSQL server through node-postgres' pool. */
export function postgresSql(url: string, options: { max?: number } = {}): Sql {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 5 })
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  const wrap = (q: pg.Pool | pg.PoolClient): Queryable => ({
    query: async <T>(text: string, params?: unknown[]) => ({
      rows: (await q.query(text, params)).rows as T[],
    }),
    exec: async (text) => {
      await q.query(text)
    },
  })
  return {
    kind: 'postgres',
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const result = await fn(wrap(client))
        await client.query('COMMIT')
        return result
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        client.release()
      }
    },
    close: () => pool.end(),
  }
}
