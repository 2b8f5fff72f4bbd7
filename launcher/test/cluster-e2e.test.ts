import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { kafkaClasspath } from '@sightline/kafka-local'
import {
  databaseExists,
  databaseUrl,
  dropDatabase,
  openSiteStore,
  probeDatabase,
} from '@sightline/metadata/sql'
import { connectRedis, deleteMatching, prefixPattern } from '@sightline/state'
import { machineRedisUrl } from '@sightline/state/testing'
import { eventually } from '@sightline/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisPrefixFor } from '../src/cluster.ts'
import { DEFAULT_POSTGRES_URL, metadataDatabaseFor } from '../src/cluster-metadata.ts'
import { freePort } from '../src/ports.ts'
import { freePortRun, postBatch, type RunningSightline, startSightline, stats } from './launcher-harness.ts'
import { type ProcessId, processesMentioning, processTree, stillRunning } from './process-tree.ts'

// `npm start -- --cluster` as a user runs it: the pinned Kafka broker, the machine's Redis and
// PostgreSQL, two receiver-only bridges, the writer host and the edge, all real processes.
// The data directory is fresh, so the Redis prefix and the metadata database (both named after
// it) are this run's own; the database and the keys are removed afterwards. A service that is
// missing fails the file with one line saying which (never a skip).
const POSTGRES = process.env.SIGHTLINE_POSTGRES_URL ?? DEFAULT_POSTGRES_URL
const REDIS = machineRedisUrl
const dataDir = mkdtempSync(join(tmpdir(), 'sightline-cluster-e2e-'))
const database = metadataDatabaseFor(dataDir)
let running: RunningSightline | undefined
let pids: Record<string, number> = {}
let started: ProcessId[] = []

type ClusterEndpoints = RunningSightline['endpoints'] & { bridges: string[]; kafka: string[] }
const endpoints = () => running!.endpoints as ClusterEndpoints
const readPids = () => JSON.parse(readFileSync(join(dataDir, 'pids.json'), 'utf8')) as Record<string, number>

/** Each service the cluster needs, checked before the one broker start: one line for what is missing. */
async function needServices(): Promise<void> {
  const java = spawnSync('java', ['-version'], { stdio: 'ignore' })
  if (java.status !== 0)
    throw new Error('the local cluster needs Java 17+ on PATH for the Kafka broker (infra/kafka); none ran')
  await kafkaClasspath().catch((err: Error) => {
    throw new Error(`the local cluster needs the Kafka broker's jars (Maven resolves them): ${err.message}`)
  })
  const redis = await connectRedis(REDIS).catch((err: Error) => {
    throw new Error(
      `the local cluster needs the machine's Redis at ${REDIS} (SIGHTLINE_REDIS_URL): ${err.message}`,
    )
  })
  redis.disconnect()
  await probeDatabase(POSTGRES).catch((err: Error) => {
    throw new Error(
      `the local cluster needs the machine's PostgreSQL (SIGHTLINE_POSTGRES_URL): ${err.message}`,
    )
  })
}

/** `npm run admin` against this data directory, as a separate process. */
function admin(...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '..', 'src', 'admin.ts'), '--data-dir', dataDir, ...args],
      { cwd: join(import.meta.dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.once('exit', (code) => resolve({ code, out }))
  })
}

async function metric(url: string, name: string, labels: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, {
    headers: { authorization: `Bearer ${endpoints().metrics_token}` },
  })
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name}{${labels}}`))
  return line ? Number(line.split(' ').at(-1)) : 0
}

const durable = (bridge: string) => metric(bridge, 'sightline_bridge_batches_total', 'outcome="durable"')

const segmentBatch = (ids: string[]) => ({
  sentAt: new Date().toISOString(),
  batch: ids.map((id) => ({
    type: 'track',
    event: 'Order Completed',
    messageId: id,
    anonymousId: 'cluster-visitor',
    properties: { total: 42 },
    timestamp: new Date().toISOString(),
  })),
})

beforeAll(async () => {
  await needServices()
  const first = await freePortRun(2)
  running = await startSightline(
    dataDir,
    { edge: await freePort(), bridge: first, query: await freePort() },
    {
      args: ['--cluster', '--bridges', '2', '--redis-url', REDIS, '--postgres-url', POSTGRES],
      timeoutMs: 170_000,
    },
  ).catch((err: Error) => {
    // The launcher's own reason, not its whole output.
    const line = err.message.split('\n').find((l) => l.includes('could not start'))
    throw new Error(line ?? err.message)
  })
  pids = readPids()
}, 200_000)

afterAll(async () => {
  if (running && running.child.exitCode === null) {
    // A failed test may leave it running: stop it, and anything of its that outlives it.
    const leftovers = processTree(running.child.pid!)
    await Promise.race([running.stop(), new Promise((r) => setTimeout(r, 30_000))])
    for (const p of stillRunning(leftovers)) process.kill(p.pid, 'SIGKILL')
  }
  await dropDatabase(POSTGRES, database).catch(() => {})
  const redis = await connectRedis(REDIS).catch(() => undefined)
  if (redis) {
    await deleteMatching(redis, prefixPattern(redisPrefixFor(dataDir))).catch(() => {})
    redis.disconnect()
  }
  rmSync(dataDir, { recursive: true, force: true })
}, 60_000)

describe('the local cluster (npm start -- --cluster), end to end', () => {
  it('starts the broker, two bridges, the writer host and the edge, with its metadata in PostgreSQL', async () => {
    const out = running!.output()
    expect(out).toContain('Sightline is running (cluster mode)')
    expect(endpoints().bridges).toHaveLength(2)
    expect(endpoints().kafka).toHaveLength(1)
    expect(Object.keys(pids).sort()).toEqual(['bridge-1', 'bridge-2', 'edge', 'kafka', 'launcher', 'writer'])
    // The data directory's own database on the machine's server, made by this start.
    expect(out).toContain(`metadata: PostgreSQL`)
    expect(out).toContain(`${database} (made just now for this data directory)`)
    expect(await databaseExists(POSTGRES, database)).toBe(true)
    expect(existsSync(join(dataDir, 'metadata'))).toBe(false) // no PGlite beside it
    // Each bridge opens that database itself, as in a deployment (not the hub's HTTP view).
    for (const name of ['bridge-1', 'bridge-2']) {
      const env = readFileSync(`/proc/${pids[name]}/environ`, 'utf8').split('\0')
      expect(env).toContain(`METADATA_URL=${databaseUrl(POSTGRES, database)}`)
      expect(env.some((v) => v.startsWith('SITES_URL='))).toBe(false)
    }
    // The banner's admin command finds this data directory.
    expect(out).toContain(`npm run admin -- --data-dir ${dataDir} --help`)
  })

  it('counts a Segment batch and a beacon sent through the edge', async () => {
    const e = endpoints()
    const site = e.sites[0]!
    const batch = await postBatch(e.edge, site.write_key, segmentBatch(['seg-1', 'seg-2', 'seg-3']))
    expect(batch.status).toBe(200)
    expect(await batch.json()).toMatchObject({ success: true, accepted: 3 })
    const beacon = await fetch(`${e.edge}/v1/b?k=${site.write_key}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ type: 'track', event: 'beacon', message_id: 'beacon-1', anonymous_id: 'b-1' }),
    })
    expect(beacon.status).toBe(204)
    const got = await eventually(
      () => stats(e),
      (s) => s.events >= 4,
      60_000,
      250,
    )
    expect(got.events).toBe(4)
  })

  it('runs `npm run admin` against the running hub, whose database is the PostgreSQL one', async () => {
    const made = await admin('sites', 'create', 'e2e-shop', '--name', 'E2E shop')
    expect(made.out).toContain('live now')
    expect(made.code).toBe(0)
    // Read straight from the server: the hub wrote it there, not into a PGlite of its own.
    const store = await openSiteStore(databaseUrl(POSTGRES, database))
    try {
      expect((await store.get('e2e-shop'))?.name).toBe('E2E shop')
    } finally {
      await store.close()
    }
  })

  it('keeps answering 2xx through the other bridge after kill -9 of one, and starts that one again', async () => {
    const e = endpoints()
    const site = e.sites[0]!
    const before = (await stats(e)).events
    const throughSecond = await durable(e.bridges[1]!)
    process.kill(pids['bridge-1']!, 'SIGKILL')
    const down = await eventually(
      () =>
        fetch(`${e.bridges[0]}/healthz`).then(
          () => false,
          () => true,
        ),
      Boolean,
      10_000,
    )
    expect(down).toBe(true)
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      const res = await postBatch(
        e.edge,
        site.write_key,
        segmentBatch([`failover-${i}-a`, `failover-${i}-b`]),
      )
      statuses.push(res.status)
      await res.arrayBuffer()
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200])
    const viaSecond = (await durable(e.bridges[1]!)) - throughSecond
    const got = await eventually(
      () => stats(e),
      (s) => s.events >= before + 10,
      60_000,
      250,
    )
    expect(got.events).toBe(before + 10)
    // The launcher started bridge-1 again on its port; the cluster kept running.
    const back = await eventually(
      () =>
        fetch(`${e.bridges[0]}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      Boolean,
      60_000,
      250,
    )
    expect(back).toBe(true)
    // Every batch went through one bridge: the second, while the first in failover order was
    // down (at least the first batch, sent before the restart's delay was over), and whatever
    // the restarted first took (its counters start at zero).
    expect(viaSecond).toBeGreaterThanOrEqual(1)
    expect(viaSecond + (await durable(e.bridges[0]!))).toBe(5)
    expect(running!.output()).toContain('bridge-1 stopped (SIGKILL); starting it again')
    const now = readPids()
    expect(now['bridge-1']).not.toBe(pids['bridge-1'])
    expect(now.writer).toBe(pids.writer)
    pids = now
  })

  it('stops every process it started on SIGINT', async () => {
    const launcher = running!.child.pid!
    started = processTree(launcher)
    // The broker, the writer host, both bridges (bridge-1 the restarted one) and the edge.
    for (const name of ['kafka', 'writer', 'bridge-1', 'bridge-2', 'edge'])
      expect(started.map((p) => p.pid)).toContain(pids[name])
    expect(started.some((p) => p.cmd.includes('workerd'))).toBe(true)
    expect(await running!.stop()).toBe(0)
    expect(running!.output()).toContain('stopping…')
    const left = await eventually(
      async () => stillRunning(started),
      (l) => l.length === 0,
      20_000,
      200,
    )
    expect(left.map((p) => `${p.pid} ${p.cmd.slice(0, 120)}`)).toEqual([])
    // Nothing else of this data directory either (a process that left the tree by re-parenting).
    expect(processesMentioning(dataDir, [process.pid]).map((p) => p.cmd.slice(0, 120))).toEqual([])
  })

  it('lets `npm run admin` find the same database with the stack stopped', async () => {
    const changed = await admin('sites', 'set', 'e2e-shop', 'name', 'E2E shop, renamed')
    expect(changed.code).toBe(0)
    expect(changed.out).toContain(`saved in the metadata database (${databaseUrl(POSTGRES, database)})`)
    const listed = await admin('sites', 'list', '--json')
    expect(listed.code).toBe(0)
    expect(listed.out).toContain('E2E shop, renamed')
    expect(existsSync(join(dataDir, 'metadata'))).toBe(false)
  })
})
