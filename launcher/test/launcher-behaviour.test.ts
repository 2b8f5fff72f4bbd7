import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { launcherPorts, type RunningSightline, startSightline } from './launcher-harness.ts'

// What a user (or a container runtime) does to the launcher itself: ask for help, start it
// twice, probe its health, signal the main process alone. All against the real launcher.
const repo = join(import.meta.dirname, '..', '..')
const startTs = join(repo, 'launcher', 'src', 'start.ts')
const run = promisify(execFile)
const dirs: string[] = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-behaviour-'))
  dirs.push(dir)
  return dir
}
let running: RunningSightline | undefined
afterAll(async () => {
  await running?.stop()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
const exitOf = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.exitCode !== null
      ? resolve({ code: child.exitCode, signal: null })
      : child.once('exit', (code, signal) => resolve({ code, signal })),
  )
async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline && pids.some(alive)) await new Promise((r) => setTimeout(r, 100))
  return pids.filter(alive)
}

describe('npm start -- --help', () => {
  it('prints usage and exits 0; an unknown option prints usage, exit 2, no stack trace', async () => {
    const help = await run(process.execPath, ['scripts/run.mjs', 'start', '--help'], { cwd: repo })
    expect(help.stdout).toMatch(/^Usage: npm start -- \[options\]/)
    expect(help.stdout).toContain('--data-dir')
    const bad = await run(process.execPath, ['--import', 'tsx', startTs, '--no-such-flag'], {
      cwd: repo,
    }).catch((err: { code: number; stderr: string }) => err)
    expect('code' in bad && bad.code).toBe(2)
    expect(bad.stderr).toContain("Unknown option '--no-such-flag'")
    expect(bad.stderr).toContain('Usage:')
    expect(bad.stderr).not.toMatch(/\n\s+at /)
  }, 60_000)
})

describe('a running stack', () => {
  const dataDir = tempDir()

  it('answers /healthz and /readyz on the edge, the bridge and the query service', async () => {
    running = await startSightline(dataDir, await launcherPorts())
    const e = running.endpoints
    for (const base of [e.edge, e.bridge, e.query]) {
      for (const path of ['/healthz', '/readyz']) {
        const res = await fetch(`${base}${path}`)
        expect({ url: `${base}${path}`, status: res.status }).toEqual({ url: `${base}${path}`, status: 200 })
        expect(((await res.json()) as { ok: boolean }).ok).toBe(true)
      }
    }
  })

  it('refuses a second start on the same data directory and leaves the first alone', async () => {
    const e = running!.endpoints
    const second = spawn(
      process.execPath,
      ['--import', 'tsx', startTs, '--data-dir', dataDir, ...portArgs(await launcherPorts())],
      { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    second.stdout!.on('data', (d) => (output += d))
    second.stderr!.on('data', (d) => (output += d))
    const { code } = await exitOf(second)
    expect(code).toBe(1)
    expect(output).toContain(`already running at ${e.edge}`)
    expect(output).not.toContain('Sightline is running')
    // Untouched: every process alive, every service still answering.
    expect([e.pids.launcher, e.pids.hub, e.pids.edge].every(alive)).toBe(true)
    for (const base of [e.edge, e.bridge, e.query]) expect((await fetch(`${base}/healthz`)).status).toBe(200)
  })

  it('stops everything on SIGTERM to the launcher process alone', async () => {
    const { launcher, hub, edge } = running!.endpoints.pids
    const workerd = childrenOf(edge)
    process.kill(launcher, 'SIGTERM')
    expect(await exitOf(running!.child)).toEqual({ code: 0, signal: null })
    expect(await waitGone([hub, edge, ...workerd], 10_000)).toEqual([])
    expect(existsSync(join(dataDir, 'launcher.lock'))).toBe(false)
    running = undefined
  })
})

describe('npm start as a container runs it', () => {
  it('stops everything on SIGINT to the main process alone (node scripts/run.mjs start)', async () => {
    const dataDir = tempDir()
    // Own process group, so the signal reaches only the pid we send it to (no terminal).
    const main = spawn(
      process.execPath,
      ['scripts/run.mjs', 'start', '--data-dir', dataDir, ...portArgs(await launcherPorts())],
      {
        cwd: repo,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    )
    let output = ''
    main.stdout!.on('data', (d) => (output += d))
    main.stderr!.on('data', (d) => (output += d))
    const deadline = Date.now() + 180_000
    while (!output.includes('Sightline is running')) {
      if (main.exitCode !== null || Date.now() > deadline) throw new Error(`no start:\n${output}`)
      await new Promise((r) => setTimeout(r, 200))
    }
    const { pids } = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')) as {
      pids: { launcher: number; hub: number; edge: number }
    }
    process.kill(main.pid!, 'SIGINT')
    expect(await exitOf(main)).toEqual({ code: 0, signal: null })
    expect(await waitGone([pids.launcher, pids.hub, pids.edge], 10_000)).toEqual([])
  })
})

function portArgs(ports: { edge: number; bridge: number; query: number }): string[] {
  return [
    '--edge-port',
    `${ports.edge}`,
    '--bridge-port',
    `${ports.bridge}`,
    '--query-port',
    `${ports.query}`,
  ]
}

/** Direct children of a pid (workerd's own processes), from /proc. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
  } catch {
    return []
  }
}
