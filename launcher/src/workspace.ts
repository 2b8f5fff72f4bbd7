import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
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

const SiteSchema = z.object({
  site_id: z.string().regex(/^[a-z0-9_-]{1,64}$/),
  name: z.string(),
  write_keys: z.array(z.string()).min(1),
  /** Kept (not deleted) so the edge answers "revoked" instead of "unknown"; see admin.ts. */
  revoked_keys: z.array(z.string()).default([]),
  read_keys: z.array(z.string()).min(1),
  /**
   * The site's edge settings (allowed_origins, rate_limit, privacy, block_bots), as the edge
   * worker's SiteSchema defines them; the edge validates them and fills the defaults.
   */
  edge: z.record(z.string(), z.unknown()).default({}),
})
export type Site = z.infer<typeof SiteSchema>

/** What the edge needs of a site: its settings plus keys, never the secret read keys. */
export function edgeSiteConfig(site: Site): Record<string, unknown> {
  return { ...site.edge, site_id: site.site_id, write_keys: site.write_keys, revoked_keys: site.revoked_keys }
}

const StateSchema = z.object({
  version: z.literal(1),
  sites: z.array(SiteSchema),
  signing: z.object({ key_id: z.string(), key: z.string().min(32) }),
})
export type InstallState = z.infer<typeof StateSchema>

export const token = (prefix: string) => `${prefix}_${randomBytes(18).toString('base64url')}`

/** Loads the install state, creating the demo site and secrets on first run. */
export function loadOrCreateState(layout: DataLayout): { state: InstallState; created: boolean } {
  for (const dir of [layout.root, layout.logs]) mkdirSync(dir, { recursive: true })
  if (existsSync(layout.state)) {
    const parsed = StateSchema.safeParse(JSON.parse(readFileSync(layout.state, 'utf8')))
    if (!parsed.success)
      throw new Error(`${layout.state} is not a valid Sightline state file: ${z.prettifyError(parsed.error)}`)
    return { state: parsed.data, created: false }
  }
  const state: InstallState = {
    version: 1,
    sites: [
      {
        site_id: 'demo',
        name: 'Demo site',
        write_keys: [token('wk')],
        revoked_keys: [],
        read_keys: [token('rk')],
        edge: {},
      },
    ],
    signing: { key_id: 'k1', key: randomBytes(32).toString('base64url') },
  }
  writeJsonAtomic(layout.state, state, 0o600)
  return { state, created: true }
}

/** Temp file + rename: a crash never leaves a half-written state or endpoints file. */
export function writeJsonAtomic(path: string, value: unknown, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode })
  renameSync(tmp, path)
}
