// One database on a PostgreSQL server, made on demand: the local cluster keeps each data
// directory's metadata in a database of its own (launcher/src/cluster-metadata.ts, ADR 0033).
import pg from 'pg'

/** Database names this module makes: unquoted identifiers, so no quoting rules to get wrong. */
const NAME = /^[a-z_][a-z0-9_]{0,62}$/

/** `server` with its database replaced by `name` (user, password, host and options kept). */
export function databaseUrl(server: string, name: string): string {
  const url = new URL(server)
  url.pathname = `/${name}`
  return url.toString()
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url
  }
}

/** The server did not accept a connection (as opposed to refusing a statement). */
export class DatabaseUnreachable extends Error {}

async function onServer<T>(server: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: server, connectionTimeoutMillis: 3000 })
  // A server that goes away mid-call must reject the call, not crash the process.
  client.on('error', () => {})
  try {
    await client.connect()
  } catch (err) {
    throw new DatabaseUnreachable(
      `PostgreSQL at ${redactUrl(server)} does not answer (${(err as Error).message})`,
    )
  }
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * Makes database `name` on the server `server` (a URL of any database on it, such as
 * `/postgres`) unless it exists. `fresh`: drop it first when it exists, for a database that
 * is known to hold nothing worth keeping (its data directory was removed). Returns whether
 * it made the database and whether it dropped an old one.
 */
export async function ensureDatabase(
  server: string,
  name: string,
  options: { fresh?: boolean } = {},
): Promise<{ created: boolean; dropped: boolean }> {
  if (!NAME.test(name)) throw new Error(`not a database name this can make: ${JSON.stringify(name)}`)
  return onServer(server, async (c) => {
    const exists = async () =>
      (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount! > 0
    let dropped = false
    if (options.fresh && (await exists())) {
      // No FORCE: a process still connected to it is a reason to stop, not one to disconnect.
      await c.query(`DROP DATABASE ${name}`)
      dropped = true
    }
    if (await exists()) return { created: false, dropped }
    try {
      await c.query(`CREATE DATABASE ${name}`)
    } catch (err) {
      // Two starts racing: the other one made it, which is all this wanted.
      if ((err as { code?: string }).code !== '42P04') throw err
      return { created: false, dropped }
    }
    return { created: true, dropped }
  })
}

/** Whether database `name` exists on the server. */
export function databaseExists(server: string, name: string): Promise<boolean> {
  return onServer(
    server,
    async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount! > 0,
  )
}

/** Drops database `name` if it exists (tests clean up with it). */
export async function dropDatabase(server: string, name: string): Promise<void> {
  if (!NAME.test(name)) throw new Error(`not a database name this can drop: ${JSON.stringify(name)}`)
  await onServer(server, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
}

/** Connects to `url` and runs one query: a clear line now instead of a failed start later. */
export async function probeDatabase(url: string): Promise<void> {
  await onServer(url, (c) => c.query('SELECT 1'))
}
