import { spawn } from 'node:child_process'
import { eventually } from '@sightline/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { type Started, track } from '../src/processes.ts'
import { restartOnExit } from '../src/restart.ts'

// The local cluster's bridge supervision on real OS processes (a Node that idles, or one that
// exits at once), without the rest of the cluster.
const spawned: Started[] = []
function node(code: string): Started {
  const s = track(spawn(process.execPath, ['-e', code], { stdio: 'ignore' }))
  spawned.push(s)
  return s
}
const idle = () => node('setInterval(() => {}, 1000)')
/** "Serves" once it has run for a second; a process that exits first was not ready. */
async function ready(s: Started): Promise<void> {
  await Promise.race([new Promise((r) => s.child.once('exit', r)), new Promise((r) => setTimeout(r, 1000))])
  if (!s.alive()) throw new Error('it exited')
}

afterEach(() => {
  for (const s of spawned.splice(0)) if (s.alive()) s.child.kill('SIGKILL')
})

describe('restartOnExit', () => {
  it('starts a process killed -9 again, and leaves it down once the launcher is stopping', async () => {
    let current = idle()
    const said: string[] = []
    let stopping = false
    const gaveUp: string[] = []
    restartOnExit(current, {
      name: 'bridge-1',
      spawn: () => (current = idle()),
      ready,
      stopping: () => stopping,
      say: (m) => said.push(m),
      giveUp: (why) => gaveUp.push(why),
      delayMs: 20,
    })
    const first = current
    first.child.kill('SIGKILL')
    const second = await eventually(
      async () => current,
      (s) => s !== first && said.includes('bridge-1 is back'),
      5000,
    )
    expect(second).not.toBe(first)
    expect(second.alive()).toBe(true)
    expect(said[0]).toBe(
      'bridge-1 stopped (SIGKILL); starting it again (the edge sends to the other bridges meanwhile)',
    )

    stopping = true
    second.child.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 300))
    expect(current).toBe(second)
    expect(gaveUp).toEqual([])
  })

  it('gives up, once, on a process that keeps dying', async () => {
    const gaveUp: string[] = []
    let spawns = 0
    restartOnExit(node('process.exit(3)'), {
      name: 'bridge-2',
      spawn: () => {
        spawns += 1
        return node('process.exit(3)')
      },
      ready,
      stopping: () => false,
      say: () => {},
      giveUp: (why) => gaveUp.push(why),
      delayMs: 10,
      maxRestarts: 2,
      windowMs: 60_000,
    })
    await eventually(
      async () => gaveUp.length,
      (n) => n > 0,
      5000,
    )
    await new Promise((r) => setTimeout(r, 200))
    expect(spawns).toBe(2)
    expect(gaveUp).toEqual(['bridge-2 did not start again (it exited), after 2 restarts within 60 s'])
  })
})
