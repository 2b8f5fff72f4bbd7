import pg from 'pg'

/**
 * A uniquely named database on the machine's PostgreSQL for one test file, dropped by
 * `drop()`. SIGHTLINE_POSTGRES_URL names the server (default: 127.0.0.1:5432, user
 * postgres, trust auth). Unreachable: undefined locally (the caller skips, saying why);
 * under CI=true it throws, so a missing server fails the run instead of shrinking it.
 */
export async function privatePostgresDatabase(
  prefix: string,
): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const server = process.env.SIGHTLINE_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const admin = new pg.Client({ connectionString: server, connectionTimeoutMillis: 3000 })
  try {
    await admin.connect()
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL at ${server} is required under CI: ${err}`)
    return undefined
  }
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(server)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: server })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    },
  }
}
