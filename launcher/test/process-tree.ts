// The processes a launcher started, read from /proc: every descendant, however deep (wrangler
// → workerd, the hub's esbuild), so a test can check that a stop leaves none behind.
import { readdirSync, readFileSync } from 'node:fs'

/** A process as /proc names it: the pid and its start time, so a reused pid is not mistaken for it. */
export interface ProcessId {
  pid: number
  start: string
  cmd: string
}

function stat(pid: number): { state: string; ppid: number; start: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name is in parentheses and may hold spaces; the fields after it are fixed.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { state: fields[0]!, ppid: Number(fields[1]), start: fields[19]! }
  } catch {
    return undefined
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()
  } catch {
    return ''
  }
}

const allPids = () =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)

/** `root` and every process below it, as they run now. */
export function processTree(root: number): ProcessId[] {
  const children = new Map<number, number[]>()
  const starts = new Map<number, string>()
  for (const pid of allPids()) {
    const s = stat(pid)
    if (!s) continue
    starts.set(pid, s.start)
    children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid])
  }
  const found: ProcessId[] = []
  const queue = starts.has(root) ? [root] : []
  while (queue.length > 0) {
    const pid = queue.shift()!
    found.push({ pid, start: starts.get(pid)!, cmd: cmdline(pid) })
    queue.push(...(children.get(pid) ?? []))
  }
  return found
}

/**
 * Those of `processes` still running: the same pid with the same start time, and not a zombie
 * (an exited child whose parent has not reaped it yet holds nothing but its pid).
 */
export function stillRunning(processes: readonly ProcessId[]): ProcessId[] {
  return processes.filter((p) => {
    const now = stat(p.pid)
    return now?.start === p.start && now.state !== 'Z'
  })
}

/** Running processes whose command line mentions `text` (a data directory), but `except`. */
export function processesMentioning(text: string, except: readonly number[] = []): ProcessId[] {
  return allPids()
    .filter((pid) => !except.includes(pid))
    .map((pid) => ({ pid, stat: stat(pid), cmd: cmdline(pid) }))
    .filter((p) => p.stat && p.stat.state !== 'Z' && p.cmd.includes(text))
    .map((p) => ({ pid: p.pid, start: p.stat!.start, cmd: p.cmd }))
}
