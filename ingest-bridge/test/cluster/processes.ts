// Role processes for the cluster fault test: the standalone bridge entry (src/main.ts) run as
// receiver-only or writer-only, each a real OS process that the test can kill -9.
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'

const repoRoot = join(import.meta.dirname, '../../..')
const entry = join(repoRoot, 'ingest-bridge', 'src', 'main.ts')

export interface RoleProcess {
  name: string
  /** Starts (again) with the same environment. */
  start(): void
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>
  /** SIGTERM (drain and commit) and wait for the exit. */
  stop(): Promise<void>
}

export function roleProcess(name: string, env: Record<string, string>, logDir: string): RoleProcess {
  let child: ChildProcess | undefined
  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => c.once('exit', () => resolve()))
  const end = async (signal: NodeJS.Signals) => {
    const running = child
    child = undefined
    if (!running) return
    running.kill(signal)
    await exited(running)
  }
  return {
    name,
    start() {
      const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' })
      child = spawn(process.execPath, ['--import', 'tsx', entry], {
        cwd: repoRoot,
        env: { ...process.env, LOG_LEVEL: process.env.FAULT_LOG_LEVEL ?? 'warn', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      child.stdout!.pipe(log)
      child.stderr!.pipe(log)
    },
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  }
}
