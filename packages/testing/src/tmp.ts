import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TempDir {
  path: string
  cleanup(): Promise<void>
}

/** A fresh directory under the OS temp dir; unique per call, so parallel tests never share one. */
export async function tempDir(prefix = 'sightline-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) }
}

// One implementation of "a free port" for the repository: the local broker's.
export { freePort } from '@sightline/kafka-local'
