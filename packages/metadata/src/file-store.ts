import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import * as z from 'zod'
import { type Site, SiteSchema } from './site.ts'

/**
 * Sites as the `sites` array of a JSON file: how the embedded install kept them before the
 * metadata database (its sightline.json), and how a standalone bridge may still be given
 * them (SITES_FILE). Read-only now: the launcher imports such a file into the database once
 * (launcher/src/metadata.ts). Read keys in it are plaintext; the importer hashes them.
 */
export function readSitesFile(path: string): { sites: Site[]; readKeys: Map<string, string[]> } {
  if (!existsSync(path)) return { sites: [], readKeys: new Map() }
  const doc = z.record(z.string(), z.unknown()).parse(JSON.parse(readFileSync(path, 'utf8')))
  const parsed = z.array(StoredSiteSchema).safeParse(doc.sites ?? [])
  if (!parsed.success) throw new Error(`${path}: invalid sites: ${z.prettifyError(parsed.error)}`)
  return {
    sites: parsed.data.map(({ read_keys: _, ...site }) => site),
    readKeys: new Map(parsed.data.map((s) => [s.site_id, s.read_keys])),
  }
}

/**
 * Files written before the site store kept the edge's settings under `edge`; they are
 * lifted to the top level on read.
 */
const StoredSiteSchema = z.preprocess(
  (raw) => {
    if (typeof raw !== 'object' || raw === null || !('edge' in raw)) return raw
    const { edge, ...rest } = raw as { edge?: unknown }
    return typeof edge === 'object' && edge !== null ? { ...edge, ...rest } : rest
  },
  SiteSchema.extend({ read_keys: z.array(z.string().min(1)).default([]) }),
)

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
