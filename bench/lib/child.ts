import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { FromChild, ServerMode, ToChild } from './protocol.ts'

const ENTRY = fileURLToPath(new URL('./server-child.ts', import.meta.url))

/** A forked server under test with a small request/response layer over IPC. */
export class ServerChild {
  readonly #child: ChildProcess
  readonly #waiters: Array<{ type: FromChild['type']; resolve: (m: FromChild) => void }> = []
  readonly errors: string[] = []
  readonly #listeners: Array<(msg: FromChild) => void> = []

  constructor(
    mode: ServerMode,
    env: Record<string, string>,
    execArgv: string[] = process.execArgv,
    /** The child's entry file; default lib/server-child.ts (freshness uses lib/freshness-child.ts). */
    entry: string = ENTRY,
  ) {
    // fork() keeps tsx's loader flags (process.execArgv), so the child runs TypeScript too.
    this.#child = fork(entry, [mode], { env: { ...process.env, ...env }, execArgv, stdio: 'inherit' })
    this.#child.on('message', (msg: FromChild) => {
      if (msg.type === 'error') this.errors.push(msg.message)
      for (const listener of this.#listeners) listener(msg)
      const i = this.#waiters.findIndex((w) => w.type === msg.type)
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(msg)
    })
    this.#child.on('exit', (code) => {
      if (this.#waiters.length > 0) {
        const pending = this.#waiters.splice(0)
        const message = `server child exited (code ${code}) ${this.errors.join('; ')}`
        for (const w of pending) w.resolve({ type: 'error', message })
      }
    })
  }

  next<T extends FromChild['type']>(type: T, timeoutMs: number): Promise<Extract<FromChild, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for "${type}"`)),
        timeoutMs,
      )
      this.#waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer)
          if (m.type === 'error') reject(new Error(m.message))
          else resolve(m as Extract<FromChild, { type: T }>)
        },
      })
    })
  }

  /** Every message from the child, for those that arrive many times (next() takes one each). */
  onMessage(listener: (msg: FromChild) => void): void {
    this.#listeners.push(listener)
  }

  send(msg: ToChild): void {
    this.#child.send(msg)
  }

  /** Ask for a clean stop; kill our own child if it does not exit in time. */
  async stop(timeoutMs = 15_000): Promise<Extract<FromChild, { type: 'stopped' }> | undefined> {
    const exited = new Promise<void>((resolve) => {
      if (this.#child.exitCode !== null) resolve()
      else this.#child.once('exit', () => resolve())
    })
    let stopped: Extract<FromChild, { type: 'stopped' }> | undefined
    if (this.#child.connected) {
      this.send({ type: 'stop' })
      stopped = await this.next('stopped', timeoutMs).catch(() => undefined)
    }
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
    return stopped
  }
}
