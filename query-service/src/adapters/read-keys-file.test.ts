import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readKeysFromFile } from './read-keys-file.ts'

describe('readKeysFromFile', () => {
  it('resolves a listed key to its sites and nothing else', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sightline-keys-'))
    try {
      const path = join(dir, 'keys.json')
      await writeFile(
        path,
        JSON.stringify({ read_keys: [{ key: 'rk_0123456789abcdef', sites: ['a', 'b'] }] }),
      )
      const keys = await readKeysFromFile(path)
      expect(await keys.resolve('rk_0123456789abcdef')).toEqual({ siteIds: ['a', 'b'] })
      expect(await keys.resolve('rk_0123456789abcdeX')).toBeUndefined()
      expect(await keys.resolve('')).toBeUndefined()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('refuses a malformed file at startup', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sightline-keys-'))
    try {
      const path = join(dir, 'keys.json')
      await writeFile(path, JSON.stringify({ read_keys: [{ key: 'short', sites: [] }] }))
      await expect(readKeysFromFile(path)).rejects.toThrow(/invalid read keys file/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
