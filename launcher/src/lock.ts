// One launcher per data directory. chdb allows one engine per data path, the ports are
// the install's, and the pids file names the running children: a second launcher must not
// touch any of it. The lock is a file created exclusively, holding the owner's pid and
// where it serves; a lock whose pid is gone (kill -9, power cut) is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export interface LockInfo {
  pid: number
  /** Where the owner serves (its banner's URLs), for the "already running" message. */
  urls: Record<string, string>
  started_at: string
}

export type LockResult = { ok: true; release: () => void } | { ok: false; holder: LockInfo }

export const lockPath = (dataRoot: string) => join(dataRoot, 'launcher.lock')

/** A pid that runs a Sightline launcher (not one the OS reused for something else). */
function isLauncher(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false
  try {
    process.kill(pid, 0)
  } catch (err) {
    // EPERM: alive but not ours to signal; still a running process holding the lock.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('start.ts')
  } catch {
    return true // no /proc (macOS): trust kill(0)
  }
}

function readLock(path: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockInfo
  } catch {
    return undefined
  }
}

export function acquireLock(dataRoot: string, urls: Record<string, string>): LockResult {
  const path = lockPath(dataRoot)
  const info: LockInfo = { pid: process.pid, urls, started_at: new Date().toISOString() }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600)
      writeSync(fd, JSON.stringify(info))
      closeSync(fd)
      let released = false
      return {
        ok: true,
        release: () => {
          if (released) return
          released = true
          // Only our own lock: never remove one a later launcher took over.
          if (readLock(path)?.pid === process.pid) rmSync(path, { force: true })
        },
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const holder = readLock(path)
    // A half-written lock (its writer is between open and write) belongs to a live launcher.
    if (holder === undefined) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100)
      if (readLock(path) === undefined) rmSync(path, { force: true })
      continue
    }
    if (isLauncher(holder.pid)) return { ok: false, holder }
    rmSync(path, { force: true }) // stale: its launcher is gone
  }
  const holder = readLock(path)
  return holder ? { ok: false, holder } : { ok: false, holder: { pid: 0, urls: {}, started_at: '' } }
}
