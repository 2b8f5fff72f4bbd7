import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { DataLayout } from './workspace.ts'
import { writeJsonAtomic } from './workspace.ts'

export const repoRoot = join(import.meta.dirname, '..', '..')
const bin = join(repoRoot, 'node_modules', '.bin')

/**
 * Children started by a previous launcher that was itself killed (kill -9 leaves its
 * children running, holding ports). Stop them before starting new ones.
 */
export function stopLeftovers(layout: DataLayout): void {
  if (!existsSync(layout.pids)) return
  let pids: number[] = []
  try {
    pids = Object.values(JSON.parse(readFileSync(layout.pids, 'utf8')) as Record<string, number>)
  } catch {
    return
  }
  for (const pid of pids) {
    if (!Number.isInteger(pid) || pid <= 1) continue
    let cmdline = ''
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    } catch {
      continue // not running
    }
    // Only ours: never signal an unrelated process that reused the pid.
    if (cmdline.includes(layout.root) || cmdline.includes('sightline')) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL')
        } catch {}
      }
    }
  }
}

export function recordPids(layout: DataLayout, pids: Record<string, number | undefined>): void {
  writeJsonAtomic(layout.pids, pids)
}

export interface Started {
  child: ChildProcess
  alive: () => boolean
}

export function track(child: ChildProcess): Started {
  let alive = true
  child.once('exit', () => {
    alive = false
  })
  // A failed spawn is reported as an exit by the caller's checks, not as a crash here.
  child.once('error', () => {
    alive = false
  })
  return { child, alive: () => alive }
}

/**
 * The hub's libuv pool runs chdb statements, the writer's inserts and the segment log's
 * fsyncs alike; 4 threads (Node's default) left fsyncs waiting seconds when reads filled it
 * (ADR 0014). The size is read once at the pool's first use, so it is set before the hub starts.
 */
export function hubEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, UV_THREADPOOL_SIZE: env.UV_THREADPOOL_SIZE ?? '8' }
}

/** The hub under Node 24 with tsx; resolves once it printed its ready line. */
export async function startHubProcess(
  layout: DataLayout,
  config: object,
  timeoutMs = 120_000,
): Promise<Started> {
  const log = createWriteStream(join(layout.logs, 'hub.log'), { flags: 'a' })
  const child = spawn(
    process.execPath,
    [
      // Diagnostics only (e.g. --cpu-prof for the front-door benchmark; bench/README.md).
      ...(process.env.SIGHTLINE_HUB_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      '--import',
      'tsx',
      join(import.meta.dirname, 'hub-main.ts'),
      JSON.stringify(config),
      `--sightline-data=${layout.root}`,
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: hubEnv(process.env) },
  )
  child.stderr!.pipe(log)
  const started = track(child)
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`hub not ready after ${timeoutMs} ms; see ${layout.logs}/hub.log`)),
      timeoutMs,
    )
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      if (line.includes('"ready":true')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`hub exited (${signal ?? code}) before it was ready; see ${layout.logs}/hub.log`))
    })
  })
  return started
}

/** The edge worker in a local workerd via `wrangler dev` (`--edge-runtime wrangler`). */
export function startEdgeProcess(
  layout: DataLayout,
  options: { host: string; port: number; inspectorPort: number; envFile: string },
): Started {
  const log = createWriteStream(join(layout.logs, 'edge.log'), { flags: 'a' })
  const args = [
    'dev',
    '--config',
    join(repoRoot, 'edge-worker', 'wrangler.jsonc'),
    '--ip',
    options.host,
    '--port',
    String(options.port),
    '--inspector-port',
    String(options.inspectorPort),
    '--env-file',
    options.envFile,
    '--persist-to',
    join(layout.root, 'wrangler-state'),
    '--show-interactive-dev-session=false',
    '--log-level',
    'warn',
  ]
  // wrangler.js under our Node directly: the .bin shims are shell scripts that do not pass signals on.
  const wranglerJs = join(repoRoot, 'edge-worker', 'node_modules', 'wrangler', 'bin', 'wrangler.js')
  const child = spawn(process.execPath, [wranglerJs, ...args], {
    cwd: join(repoRoot, 'edge-worker'),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: wrangler starts workerd as its child, and the whole group must
    // go when we stop it (or when a later launcher cleans up after a killed one).
    detached: true,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
  })
  child.stdout!.pipe(log)
  child.stderr!.pipe(log)
  return track(child)
}

/** SIGTERM, then SIGKILL after a grace period; `group` signals the child's whole process group. */
export function stopProcess(
  started: Started | undefined,
  options: { group?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  if (!started?.alive()) return Promise.resolve()
  const pid = started.child.pid!
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(options.group ? -pid : pid, sig)
    } catch {}
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal('SIGKILL')
      resolve()
    }, options.timeoutMs ?? 10_000)
    started.child.once('exit', () => {
      clearTimeout(timer)
      // workerd may outlive wrangler by a moment; make sure the group is gone.
      if (options.group) signal('SIGKILL')
      resolve()
    })
    signal('SIGTERM')
  })
}
