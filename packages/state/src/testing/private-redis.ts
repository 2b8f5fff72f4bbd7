import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'

/**
 * A private `redis-server` per test file, on a free port, keeping nothing on disk, so a test
 * may `kill -9` and restart it without disturbing anyone else's Redis.
 */
export interface PrivateRedis {
  url: string
  port: number
  /** SIGKILL, wait for the exit: everything in memory is gone. */
  kill(): Promise<void>
  /** Start again on the same port (empty, like a restart without persistence). */
  start(): Promise<void>
  stop(): Promise<void>
}

/** Under CI a missing Redis is a failure; on a developer's machine the Redis suites are skipped. */
export const redisRequired = process.env.CI === 'true'

/** The `redis-server` binary (SIGHTLINE_REDIS_SERVER overrides the one on PATH). */
const redisServerBinary = process.env.SIGHTLINE_REDIS_SERVER ?? 'redis-server'

export function redisServerInstalled(): boolean {
  return spawnSync(redisServerBinary, ['--version'], { stdio: 'ignore' }).status === 0
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    probe.on('error', () => {})
    try {
      await probe.connect()
      if ((await probe.ping()) === 'PONG') return
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`redis-server at ${url} did not answer: ${String(err)}`)
    } finally {
      probe.disconnect()
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'sightline-redis-'))
  const url = `redis://127.0.0.1:${port}`
  let child: ChildProcess | undefined

  async function start(): Promise<void> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
    child = spawn(redisServerBinary, [...args, '--dir', dir], { stdio: 'ignore' })
    const spawned = child
    const failed = new Promise<never>((_, reject) => {
      spawned.once('error', reject)
      spawned.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before answering`)))
    })
    await Promise.race([waitForPing(url, 10_000), failed])
    spawned.removeAllListeners('exit')
  }

  async function kill(): Promise<void> {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null || running.signalCode !== null) return
    const exited = new Promise((r) => running.once('exit', r))
    running.kill('SIGKILL')
    await exited
  }

  await start()
  return {
    url,
    port,
    kill,
    start,
    async stop() {
      await kill()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** The machine's Redis (SIGHTLINE_REDIS_URL, default the local 6379). */
export const machineRedisUrl = process.env.SIGHTLINE_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A key prefix no other test run shares. */
export function uniquePrefix(name: string): string {
  return `sltest:${name}:${process.pid}:${crypto.randomUUID().slice(0, 8)}:`
}
