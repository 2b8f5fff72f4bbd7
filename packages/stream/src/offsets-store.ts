import { mkdir, open, readdir, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { fsyncDir } from './segment-file.ts'

/**
 * Committed consumer offsets, one small JSON file per group and topic:
 * `<dir>/<group>/<topic>.json` = `{"offsets":[next offset per partition]}`.
 * Written as temp file + fsync + rename + directory fsync, so after a crash the file holds
 * either the old or the new offsets, never a torn mix.
 */
export class OffsetsStore {
  private readonly writes = new Map<string, Promise<void>>()

  constructor(
    private readonly dir: string,
    private readonly fsync: boolean,
  ) {}

  async load(group: string, topic: string): Promise<number[] | undefined> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.fileOf(group, topic), 'utf8'))
      const offsets = (parsed as { offsets?: unknown }).offsets
      if (!Array.isArray(offsets) || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
        throw new Error(`malformed offsets file for group ${group}, topic ${topic}`)
      }
      return offsets as number[]
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }

  /** Groups that have ever committed (or registered) on `topic`; retention must wait for all of them. */
  async groupsOf(topic: string): Promise<string[]> {
    let groups: string[]
    try {
      groups = await readdir(this.dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    const found: string[] = []
    for (const group of groups) {
      if ((await this.load(group, topic)) !== undefined) found.push(group)
    }
    return found
  }

  /** Saves are serialised per file; the last call's offsets win. */
  save(group: string, topic: string, offsets: readonly number[]): Promise<void> {
    const file = this.fileOf(group, topic)
    const body = `${JSON.stringify({ offsets })}\n`
    const previous = this.writes.get(file) ?? Promise.resolve()
    const next = previous.catch(() => {}).then(() => this.writeAtomically(group, file, body))
    this.writes.set(file, next)
    const forget = () => {
      if (this.writes.get(file) === next) this.writes.delete(file)
    }
    next.then(forget, forget)
    return next
  }

  private async writeAtomically(group: string, file: string, body: string): Promise<void> {
    const groupDir = join(this.dir, group)
    // A new group directory is itself a directory entry that must survive power loss.
    const created = await mkdir(groupDir, { recursive: true })
    if (created !== undefined && this.fsync) await fsyncDir(this.dir)
    const temp = `${file}.tmp`
    const fh = await open(temp, 'w')
    try {
      await fh.writeFile(body, 'utf8')
      if (this.fsync) await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(temp, file)
    if (this.fsync) await fsyncDir(groupDir)
  }

  private fileOf(group: string, topic: string): string {
    return join(this.dir, group, `${topic}.json`)
  }
}
