// Where a local cluster keeps its metadata (ADR 0033). By default a PostgreSQL database of
// its own on the machine's server, named after the data directory like the Redis key prefix,
// made on the first start: the bridges then open it themselves (METADATA_URL), as in a
// deployment. `--metadata-url pglite` keeps it in PGlite under the data directory instead;
// any other --metadata-url is used as given. The first start records the choice in
// sightline.json, so later starts and `npm run admin` with the stack stopped need no flag.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import {
  DatabaseUnreachable,
  databaseUrl,
  ensureDatabase,
  probeDatabase,
  redactUrl,
} from '@sightline/metadata/sql'
import { recordedMetadataUrl } from './metadata.ts'
import { type DataLayout, recordMetadataUrl } from './workspace.ts'

/** The machine's PostgreSQL server (any database on it; the cluster's is made next to it). */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

/** 12 hex digits naming a data directory (by its absolute path) on shared servers. */
export function dataDirId(root: string): string {
  return createHash('sha256').update(root).digest('hex').slice(0, 12)
}

/** The data directory's own database; the same id as its Redis key prefix (cluster.ts), so one finds the other. */
export function metadataDatabaseFor(root: string): string {
  return `sightline_${dataDirId(root)}`
}

export interface MetadataChoice {
  /** What the hub opens (and, when PostgreSQL, the bridges too). */
  url: string
  /** One line for the start-up log: what it is and how it was chosen. */
  said: string
}

/** `pglite` alone is the data directory's own PGlite; a relative `pglite:<dir>` is made absolute. */
function normalize(layout: DataLayout, url: string): string {
  if (url === 'pglite') return `pglite:${layout.metadata}`
  if (url.startsWith('pglite:') && url !== 'pglite:memory') return `pglite:${resolve(url.slice(7))}`
  return url
}

const describe = (url: string) =>
  url.startsWith('pglite:') ? `PGlite in ${url.slice(7)}` : `PostgreSQL ${redactUrl(url)}`

/**
 * Chooses, checks and records the metadata database. `given`: --metadata-url /
 * SIGHTLINE_METADATA_URL. `server`: where the default database is made. `imported`: whether
 * a metadata database already holds this data directory's sites (sightline.json no longer
 * lists them), which decides whether an existing default database is this directory's own.
 * Throws one line when the choice conflicts with the data directory or the server is down.
 */
export async function chooseClusterMetadata(options: {
  layout: DataLayout
  given?: string
  server: string
  imported: boolean
}): Promise<MetadataChoice> {
  const { layout, server, imported } = options
  const given = options.given === undefined ? undefined : normalize(layout, options.given)
  // A data directory from before the record existed kept its metadata in PGlite under it.
  const recorded =
    recordedMetadataUrl(layout) ?? (existsSync(layout.metadata) ? `pglite:${layout.metadata}` : undefined)
  if (given && recorded && given !== recorded)
    throw new Error(
      `this data directory's metadata is in ${describe(recorded)}, not ${describe(given)}; ` +
        'start it without --metadata-url (moving the metadata is not supported), or use a new --data-dir',
    )
  if (imported && !given && !recorded)
    throw new Error(
      'this data directory imported its sites into a metadata database it does not record ' +
        '(a start with --metadata-url before it was recorded): pass that --metadata-url once',
    )
  let url = given ?? recorded
  let said = given ? 'as given' : 'as recorded in sightline.json'
  if (url === undefined) {
    const name = metadataDatabaseFor(layout.root)
    // Sites not yet imported but a database of this name: it is a removed data directory's at
    // this path (rm -rf of the data directory is a full reset, so that database goes too).
    const made = await ensureDatabase(server, name, { fresh: !imported }).catch((err: Error) => {
      throw err instanceof DatabaseUnreachable
        ? new Error(
            `${err.message}; start PostgreSQL, pass --postgres-url <server>, or --metadata-url pglite to keep the metadata in the data directory`,
          )
        : new Error(`could not make the metadata database ${name} on ${redactUrl(server)}: ${err.message}`)
    })
    url = databaseUrl(server, name)
    said = made.dropped
      ? 'made anew: an earlier data directory at this path had left one of that name'
      : made.created
        ? 'made just now for this data directory'
        : "this data directory's own"
  } else if (!url.startsWith('pglite:')) {
    await probeDatabase(url).catch((err: Error) => {
      throw new Error(
        `${err.message}; ${given ? 'start it, or fix --metadata-url' : 'start it: sightline.json records this database as the metadata'}`,
      )
    })
  }
  recordMetadataUrl(layout, url)
  return { url, said: `metadata: ${describe(url)} (${said})` }
}
