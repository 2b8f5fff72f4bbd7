import { createHash, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import type { ReadKeyResolver } from '../ports.ts'

/** `{"read_keys":[{"key":"rk_…","sites":["site_a"]}]}` — the embedded setup's key list. */
export const ReadKeysFileSchema = z.object({
  read_keys: z.array(z.object({ key: z.string().min(16), sites: z.array(z.string().min(1)).min(1) })),
})
export type ReadKeysFile = z.infer<typeof ReadKeysFileSchema>

const digest = (key: string) => createHash('sha256').update(key).digest()

/**
 * Keys are compared by digest in constant time so response timing says nothing about how
 * much of a guessed key was right. The list is small (one per dashboard user), so a scan is fine.
 */
export function staticReadKeys(file: ReadKeysFile): ReadKeyResolver {
  const entries = file.read_keys.map((k) => ({ digest: digest(k.key), siteIds: [...k.sites] }))
  return {
    async resolve(readKey) {
      const candidate = digest(readKey)
      const match = entries.find((e) => timingSafeEqual(e.digest, candidate))
      return match === undefined ? undefined : { siteIds: [...match.siteIds] }
    },
  }
}

/** Reads and validates the file once; a malformed file stops startup rather than locking everyone out. */
export async function readKeysFromFile(path: string): Promise<ReadKeyResolver> {
  const parsed = ReadKeysFileSchema.safeParse(JSON.parse(await readFile(path, 'utf8')))
  if (!parsed.success) throw new Error(`invalid read keys file ${path}: ${z.prettifyError(parsed.error)}`)
  return staticReadKeys(parsed.data)
}
