// The PostgreSQL adapter of the site store, on a server or on PGlite (Node only: it
// opens files and sockets). The pure parts stay in '@sightline/metadata'.
import type { SiteStore } from '../port.ts'
import { pgliteSql, postgresSql, type Sql } from './client.ts'
import { migrateMetadata } from './migrate.ts'
import { type SqlStoreOptions, sqlSiteStore } from './store.ts'

export { pgliteSql, postgresSql, type Queryable, type Sql } from './client.ts'
export {
  DatabaseUnreachable,
  databaseExists,
  databaseUrl,
  dropDatabase,
  ensureDatabase,
  probeDatabase,
  redactUrl,
} from './database.ts'
export { loadMigrations, MIGRATIONS_DIR, migrateMetadata } from './migrate.ts'
export { readKeyHash, type SqlStoreOptions, sqlSiteStore } from './store.ts'

/**
 * Where the metadata lives, as one URL: `postgres://…` (or `postgresql://…`) for a server,
 * `pglite:<dir>` for an embedded database in that directory, `pglite:memory` for tests.
 */
export async function openSql(url: string): Promise<Sql> {
  if (/^postgres(ql)?:\/\//.test(url)) return postgresSql(url)
  if (url === 'pglite:memory') return pgliteSql()
  if (url.startsWith('pglite:')) return pgliteSql(url.slice('pglite:'.length))
  throw new Error(
    `metadata URL must be postgres://…, pglite:<dir> or pglite:memory (got ${url.split(':')[0]}:…)`,
  )
}

/** Opens, migrates (idempotently) and wraps the database the URL names. */
export async function openSiteStore(url: string, options: SqlStoreOptions = {}): Promise<SiteStore> {
  const sql = await openSql(url)
  try {
    await migrateMetadata(sql)
  } catch (err) {
    await sql.close().catch(() => {})
    throw err
  }
  return sqlSiteStore(sql, options)
}
export { openSiteCatalog, type SiteCatalog } from './catalog.ts'
