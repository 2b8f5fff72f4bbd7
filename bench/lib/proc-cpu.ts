// CPU time of a process tree, read from /proc (Linux): what each process of the running
// stack spent, measured from outside without instrumenting it.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

export interface ProcInfo {
  pid: number
  ppid: number
  comm: string
  cmdline: string
  /** utime + stime in ms. */
  cpuMs: number
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // comm may hold spaces and parentheses: the fields after it start at the last ')'.
    const close = stat.lastIndexOf(')')
    const comm = stat.slice(stat.indexOf('(') + 1, close)
    const fields = stat.slice(close + 2).split(' ')
    // fields[0] is state (field 3); ppid is field 4, utime 14, stime 15.
    const ppid = Number(fields[1])
    const ticks = Number(fields[11]) + Number(fields[12])
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()
    return { pid, ppid, comm, cmdline, cpuMs: (ticks * 1000) / CLK_TCK }
  } catch {
    return undefined
  }
}

/** The process `root` and all its descendants that are alive now. */
export function processTree(root: number): ProcInfo[] {
  const all = new Map<number, ProcInfo>()
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid)) continue
    const info = readProc(pid)
    if (info) all.set(pid, info)
  }
  const tree: ProcInfo[] = []
  const queue = [root]
  while (queue.length > 0) {
    const pid = queue.shift()!
    const info = all.get(pid)
    if (!info) continue
    tree.push(info)
    for (const child of all.values()) if (child.ppid === pid) queue.push(child.pid)
  }
  return tree
}

export function cpuOf(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>()
  for (const pid of pids) {
    const info = readProc(pid)
    if (info) out.set(pid, info.cpuMs)
  }
  return out
}

/** What a process of the stack is, from its command line. */
export function roleOf(p: ProcInfo): string {
  if (p.comm === 'workerd' || /\bworkerd\b/.test(p.cmdline.split(' ')[0] ?? '')) return 'edge workerd'
  if (p.cmdline.includes('wrangler')) return 'edge wrangler (node)'
  if (p.cmdline.includes('hub-main')) return 'hub'
  if (p.cmdline.includes('start.ts')) return 'launcher'
  if (p.comm === 'esbuild') return 'esbuild (tsx, idle)'
  if (p.cmdline.includes('bare-http')) return 'baseline server'
  return `other (${p.comm})`
}
