import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import * as z from 'zod'
import { checkWrite, type SiteStore, type StoreResult } from './port.ts'
import { type Site, SiteSchema } from './site.ts'

/**
 * Sites as the `sites` array of a JSON file (the embedded install's sightline.json). Other
 * top-level keys of the file (the signing secret, the version) belong to its owner and are
 * kept as they are. Every read goes to the file, so an admin command's change is seen by the
 * next start without a cache to invalidate; the file is tiny.
 */
export function fileSiteStore(path: string): SiteStore {
  function read(): { doc: Record<string, unknown>; sites: Site[] } {
    if (!existsSync(path)) return { doc: {}, sites: [] }
    const doc = z.record(z.string(), z.unknown()).parse(JSON.parse(readFileSync(path, 'utf8')))
    const parsed = z.array(StoredSiteSchema).safeParse(doc.sites ?? [])
    if (!parsed.success) throw new Error(`${path}: invalid sites: ${z.prettifyError(parsed.error)}`)
    return { doc, sites: parsed.data }
  }

  async function write(site: Site, mode: 'create' | 'update'): Promise<StoreResult> {
    const parsed = SiteSchema.safeParse(site)
    if (!parsed.success) return { ok: false, message: parsed.error.issues[0]?.message ?? 'invalid site' }
    const { doc, sites } = read()
    const problem = checkWrite(sites, parsed.data, mode)
    if (problem) return { ok: false, message: problem }
    const next =
      mode === 'create'
        ? [...sites, parsed.data]
        : sites.map((s) => (s.site_id === parsed.data.site_id ? parsed.data : s))
    writeSecretJson(path, { ...doc, sites: next })
    return { ok: true, site: parsed.data }
  }

  return {
    list: async () => read().sites,
    get: async (id) => read().sites.find((s) => s.site_id === id),
    byWriteKey: async (key) =>
      read().sites.find((s) => s.write_keys.includes(key) || s.revoked_keys.includes(key)),
    create: (site) => write(site, 'create'),
    update: (site) => write(site, 'update'),
  }
}

/**
 * Files written before the site store kept the edge's settings under `edge`; they are
 * lifted to the top level on read (and written flat on the next change).
 */
const StoredSiteSchema = z.preprocess((raw) => {
  if (typeof raw !== 'object' || raw === null || !('edge' in raw)) return raw
  const { edge, ...rest } = raw as { edge?: unknown }
  return typeof edge === 'object' && edge !== null ? { ...edge, ...rest } : rest
}, SiteSchema)

/**
 * Temp file + rename, so a crash never leaves half a file; 0600 because it holds keys. The
 * mode is set again after the rename: a file created before this rule keeps none of it.
 */
export function writeSecretJson(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 })
  chmodSync(tmp, 0o600)
  renameSync(tmp, path)
}
