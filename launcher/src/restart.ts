// A role process the local cluster can lose without stopping: a bridge. While it is down the
// edge fails over to the other bridges; the launcher starts it again, so what its spool holds
// (batches it acknowledged that Kafka had not taken yet) drains, and the cluster is back to
// full width. A process that keeps dying is a fault to report, not to hide: after a few
// restarts in a short time the launcher gives up and stops the cluster.
import type { Started } from './processes.ts'

export interface RestartOptions {
  name: string
  /** Spawns the process, not waiting for it, and keeps it where the launcher's stop finds it. */
  spawn: () => Started
  /** Resolves once the process serves; rejects when it exits first or takes too long. */
  ready: (started: Started) => Promise<void>
  /** True once the launcher is stopping: an exit is then expected. */
  stopping: () => boolean
  say: (msg: string) => void
  /** Called once when it stops trying, with the reason. */
  giveUp: (why: string) => void
  delayMs?: number
  /** More restarts than this within `windowMs` and it gives up. */
  maxRestarts?: number
  windowMs?: number
}

const exitOf = (s: Started) => s.child.signalCode ?? s.child.exitCode

/** Watches `first` (already running) and restarts it each time it exits on its own. */
export function restartOnExit(first: Started, options: RestartOptions): void {
  const { name, say } = options
  const delayMs = options.delayMs ?? 1000
  const maxRestarts = options.maxRestarts ?? 3
  const windowMs = options.windowMs ?? 60_000
  const restarts: number[] = []

  const watch = (s: Started) => s.child.once('exit', () => void again(`stopped (${exitOf(s)})`))

  async function again(why: string): Promise<void> {
    for (;;) {
      if (options.stopping()) return
      const now = Date.now()
      while (restarts.length > 0 && restarts[0]! < now - windowMs) restarts.shift()
      if (restarts.length >= maxRestarts) {
        options.giveUp(`${name} ${why}, after ${restarts.length} restarts within ${windowMs / 1000} s`)
        return
      }
      restarts.push(now)
      say(`${name} ${why}; starting it again (the edge sends to the other bridges meanwhile)`)
      await new Promise((r) => setTimeout(r, delayMs))
      if (options.stopping()) return
      const next = options.spawn()
      try {
        await options.ready(next)
      } catch (err) {
        if (next.alive()) {
          const gone = new Promise((r) => next.child.once('exit', r))
          next.child.kill('SIGKILL')
          await gone // its port must be free for the next try
        }
        why = `did not start again (${(err as Error).message})`
        continue
      }
      if (options.stopping()) return
      say(`${name} is back`)
      watch(next)
      // It may have died between answering and being watched (then 'exit' has been emitted).
      if (next.alive()) return
      why = 'stopped right after it started'
    }
  }
  watch(first)
}
