import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { SiteSchema, type SiteStore } from '@sightline/metadata'
import { fileSiteStore, writeSecretJson } from '@sightline/metadata/file'
import { z } from 'zod'

/**
 * The embedded install's own state, kept under one data directory so a restart resumes
 * and `rm -rf .sightline` is a full reset.
 */
export interface DataLayout {
  root: string
  state: string
  chdb: string
  stream: string
  endpoints: string
  pids: string
  logs: string
}

export function dataLayout(dataDir: string): DataLayout {
  const root = resolve(dataDir)
  return {
    root,
    state: join(root, 'sightline.json'),
    chdb: join(root, 'chdb'),
    stream: join(root, 'stream'),
    endpoints: join(root, 'endpoints.json'),
    pids: join(root, 'pids.json'),
    logs: join(root, 'logs'),
  }
}

/**
 * sightline.json: the install's signing secret, and its sites (owned by the site store,
 * @sightline/metadata's file adapter, which keeps the rest of the file as it is).
 */
const StateSchema = z.object({
  version: z.literal(1),
  signing: z.object({ key_id: z.string(), key: z.string().min(32) }),
  /** Bearer token for the bridge's /metrics (added to older files on their next start). */
  metrics_token: z.string().min(16),
})
export type InstallState = z.infer<typeof StateSchema>

export const token = (prefix: string) => `${prefix}_${randomBytes(18).toString('base64url')}`

/**
 * Loads the install state, creating the demo site and secrets on first run. The data
 * directory is private (0700) and every file in it 0600: it holds write, read and
 * signing keys.
 */
export function loadOrCreateState(layout: DataLayout): {
  state: InstallState
  sites: SiteStore
  created: boolean
} {
  for (const dir of [layout.root, layout.logs]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    chmodSync(dir, 0o700)
  }
  const sites = fileSiteStore(layout.state)
  if (existsSync(layout.state)) {
    chmodSync(layout.state, 0o600)
    const doc = JSON.parse(readFileSync(layout.state, 'utf8'))
    if (typeof doc === 'object' && doc !== null && !('metrics_token' in doc)) {
      doc.metrics_token = token('mt')
      writeSecretJson(layout.state, doc)
    }
    const parsed = StateSchema.safeParse(doc)
    if (!parsed.success)
      throw new Error(`${layout.state} is not a valid Sightline state file: ${z.prettifyError(parsed.error)}`)
    return { state: parsed.data, sites, created: false }
  }
  const state: InstallState = {
    version: 1,
    signing: { key_id: 'k1', key: randomBytes(32).toString('base64url') },
    metrics_token: token('mt'),
  }
  const demo = SiteSchema.parse({
    site_id: 'demo',
    name: 'Demo site',
    write_keys: [token('wk')],
    read_keys: [token('rk')],
  })
  writeSecretJson(layout.state, { ...state, sites: [demo] })
  return { state, sites, created: true }
}

/** Temp file + rename (a crash never leaves half a file), 0600: everything here is secret or points at secrets. */
export const writeJsonAtomic = writeSecretJson
