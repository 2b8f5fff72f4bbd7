import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { SiteSchema } from '@sightline/metadata'
import { writeSecretJson } from '@sightline/metadata/file'
import { z } from 'zod'

/**
 * The embedded install's own state, kept under one data directory so a restart resumes
 * and `rm -rf .sightline` is a full reset.
 */
export interface DataLayout {
  root: string
  state: string
  /** The metadata database (PGlite): sites, keys, goals, saved queries. */
  metadata: string
  /** Where the running hub's admin API listens (written by the hub, removed when it stops). */
  admin: string
  chdb: string
  stream: string
  endpoints: string
  /** The demo data's load: seed, window, status (start.ts / demo/main.ts). */
  demo: string
  pids: string
  logs: string
}

export function dataLayout(dataDir: string): DataLayout {
  const root = resolve(dataDir)
  return {
    root,
    state: join(root, 'sightline.json'),
    metadata: join(root, 'metadata'),
    admin: join(root, 'admin.json'),
    chdb: join(root, 'chdb'),
    stream: join(root, 'stream'),
    endpoints: join(root, 'endpoints.json'),
    demo: join(root, 'demo.json'),
    pids: join(root, 'pids.json'),
    logs: join(root, 'logs'),
  }
}

/**
 * sightline.json: the install's secrets. Sites used to live here too (`sites`); the metadata
 * database imports them on its first open (metadata.ts) and the key is then removed.
 */
const StateSchema = z.object({
  version: z.literal(1),
  signing: z.object({ key_id: z.string(), key: z.string().min(32) }),
  /** Bearer token for the bridge's /metrics (added to older files on their next start). */
  metrics_token: z.string().min(16),
  /** Bearer token for the hub's admin API (added to older files on their next start). */
  admin_token: z.string().min(16),
  /**
   * Read keys this install made for its owner and prints in the banner (the demo site's, and
   * those imported from an older file). The database holds only their hashes; keys made with
   * `admin keys create` are shown once and kept nowhere (docs/adr/0016).
   */
  local_read_keys: z.record(z.string(), z.string()).default({}),
  /** Present only until the metadata database has imported them. */
  sites: z.array(z.unknown()).optional(),
  /**
   * Where this install's metadata database is, once a start chose one other than the default
   * PGlite under the data directory (the local cluster's PostgreSQL database, ADR 0033). Absent:
   * PGlite under the data directory. Every start and `npm run admin` open what it names.
   */
  metadata_url: z.string().min(1).optional(),
})
export type InstallState = z.infer<typeof StateSchema>

export const token = (prefix: string) => `${prefix}_${randomBytes(18).toString('base64url')}`

/** Secrets added since a file was first written: older files get them on their next start. */
const ADDED_SECRETS = { metrics_token: 'mt', admin_token: 'at' } as const

/**
 * Loads the install state, creating the demo site and secrets on first run (the site in the
 * legacy `sites` form, which the hub's first open of the metadata database imports: one
 * path for new and old installs). The data directory is private (0700) and every file in
 * it 0600: it holds write, read and signing keys.
 */
/**
 * The site that holds generated demo traffic (demo/traffic.ts), made on a new install unless
 * turned off. Its own site, so made-up numbers never mix with what a user sends to `demo`.
 * The dashboard labels this site id as demo data.
 */
export const DEMO_DATA_SITE = 'demo-shop'

export function loadOrCreateState(
  layout: DataLayout,
  options: { demoData?: boolean } = {},
): { state: InstallState; created: boolean } {
  for (const dir of [layout.root, layout.logs]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    chmodSync(dir, 0o700)
  }
  if (existsSync(layout.state)) {
    chmodSync(layout.state, 0o600)
    const doc = JSON.parse(readFileSync(layout.state, 'utf8'))
    if (typeof doc === 'object' && doc !== null) {
      const missing = Object.entries(ADDED_SECRETS).filter(([k]) => !(k in doc))
      for (const [k, prefix] of missing) doc[k] = token(prefix)
      if (missing.length > 0) writeSecretJson(layout.state, doc)
    }
    const parsed = StateSchema.safeParse(doc)
    if (!parsed.success)
      throw new Error(`${layout.state} is not a valid Sightline state file: ${z.prettifyError(parsed.error)}`)
    return { state: parsed.data, created: false }
  }
  const demo = SiteSchema.parse({ site_id: 'demo', name: 'Demo site', write_keys: [token('wk')] })
  const readKey = token('rk')
  const sites: unknown[] = [{ ...demo, read_keys: [readKey] }]
  const localReadKeys: Record<string, string> = { demo: readKey }
  if (options.demoData) {
    const shop = SiteSchema.parse({
      site_id: DEMO_DATA_SITE,
      name: 'Demo shop (generated data)',
      write_keys: [token('wk')],
    })
    localReadKeys[DEMO_DATA_SITE] = token('rk')
    sites.push({ ...shop, read_keys: [localReadKeys[DEMO_DATA_SITE]] })
  }
  const state: InstallState = {
    version: 1,
    signing: { key_id: 'k1', key: randomBytes(32).toString('base64url') },
    metrics_token: token('mt'),
    admin_token: token('at'),
    local_read_keys: localReadKeys,
    sites,
  }
  writeSecretJson(layout.state, state)
  return { state, created: true }
}

/** Temp file + rename (a crash never leaves half a file), 0600: everything here is secret or points at secrets. */
export const writeJsonAtomic = writeSecretJson

/** Records where the metadata database is (`metadata_url`), keeping the rest of the file as it is. */
export function recordMetadataUrl(layout: DataLayout, url: string): void {
  const doc = JSON.parse(readFileSync(layout.state, 'utf8')) as Record<string, unknown>
  if (doc.metadata_url === url) return
  writeSecretJson(layout.state, { ...doc, metadata_url: url })
}
