import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { signBody } from '@sightline/contracts'
import { startPrivateRedis } from '@sightline/state/testing'
import { KafkaStreamConfigSchema, kafkaDriver, kafkaStream } from '@sightline/stream'
import { eventually, freePort, type KafkaBroker, startKafka, type TempDir, tempDir } from '@sightline/testing'
import { openWarehouse } from '@sightline/warehouse'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ensureKafkaTopics } from '../../src/index.ts'
import { edgeBatch, edgeEvent, SIGNING_KEYS } from '../edge-batches.ts'
import { type RoleProcess, roleProcess } from './processes.ts'

// The "Done when" fault test: stream events through two bridge processes into Kafka,
// a writer process into ClickHouse (chdb) with dedup marks in Redis, while the test kill -9s,
// in turn, a bridge, the writer, Redis (kill -9 + restart, empty) and the broker. The client
// retries every batch (to the other bridge, with a fresh batch id) until it gets a 2xx.
// Afterwards every acknowledged message_id must be in ClickHouse exactly once.
// FAULT_EVENTS sets the volume (default 100,000). A service that cannot start fails the file.
const EVENTS = Number(process.env.FAULT_EVENTS ?? 100_000)
const PER_BATCH = 250
const CONCURRENCY = 6
const GROUP = 'writer'
const DATABASE = `fault_${process.pid}`

let dir: TempDir
let broker: KafkaBroker | undefined
let redis: Awaited<ReturnType<typeof startPrivateRedis>> | undefined
const roles: RoleProcess[] = []

afterAll(async () => {
  await Promise.all(roles.map((r) => r.kill()))
  await broker?.kill()
  await redis?.stop()
  // FAULT_KEEP=1 keeps the logs and data for a look afterwards.
  if (process.env.FAULT_KEEP) console.log(`kept ${dir?.path}`)
  else await dir?.cleanup()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('cluster fault test', () => {
  it(`${EVENTS} events, kill -9 of a bridge, the writer, the broker and Redis: each acknowledged event stored once`, async () => {
    dir = await tempDir('cluster-fault-')
    const logs = join(dir.path, 'logs')
    await mkdir(logs)
    broker = await startKafka({ dataDir: join(dir.path, 'kafka') })
    await ensureKafkaTopics(broker.brokers)
    redis = await startPrivateRedis()
    const common = {
      KAFKA_BROKERS: broker.brokers.join(','),
      SIGNING_KEYS: JSON.stringify(SIGNING_KEYS),
      CLICKHOUSE_DATABASE: DATABASE,
    }
    const chdb = join(dir.path, 'chdb')
    const writer = roleProcess(
      'writer',
      {
        ...common,
        BRIDGE_ROLES: 'writer',
        STREAM_DIR: join(dir.path, 'writer'),
        CHDB_PATH: chdb,
        REDIS_URL: redis.url,
        REDIS_PREFIX: `fault${process.pid}:`,
        WRITER_GROUP: GROUP,
      },
      logs,
    )
    const ports = [await freePort(), await freePort()]
    const bridges = ports.map((port, i) =>
      roleProcess(
        `bridge-${i + 1}`,
        {
          ...common,
          BRIDGE_ROLES: 'receiver',
          BRIDGE_PORT: String(port),
          STREAM_DIR: join(dir.path, `bridge-${i + 1}`),
        },
        logs,
      ),
    )
    roles.push(writer, ...bridges)
    for (const role of roles) role.start()
    const urls = ports.map((p) => `http://127.0.0.1:${p}`)
    await Promise.all(
      urls.map((u) =>
        eventually(
          () =>
            fetch(`${u}/healthz`).then(
              (r) => r.ok,
              () => false,
            ),
          Boolean,
          60_000,
        ),
      ),
    )

    // The client: every batch retried until a 2xx, alternating bridges, fresh batch id each try.
    const sent = new Set<string>()
    const acknowledged = new Set<string>()
    let attempts = 0
    let retries = 0
    const batches = Math.ceil(EVENTS / PER_BATCH)
    let next = 0
    async function sendBatch(b: number): Promise<void> {
      const ids = Array.from({ length: Math.min(PER_BATCH, EVENTS - b * PER_BATCH) }, (_, i) => `f${b}-${i}`)
      for (const id of ids) sent.add(id)
      for (let attempt = 0; ; attempt++) {
        const batch = edgeBatch([])
        batch.events = ids.map((id, i) => edgeEvent(id, { anonymous_id: `person-${(b * 7 + i) % 500}` }))
        const body = JSON.stringify(batch)
        const url = urls[(b + attempt) % urls.length]!
        attempts += 1
        try {
          const res = await fetch(`${url}/v1/ingest`, {
            method: 'POST',
            body,
            headers: {
              'content-type': 'application/json',
              'x-sightline-signature': await signBody(body, 'k1', SIGNING_KEYS.k1),
            },
            signal: AbortSignal.timeout(15_000),
          })
          await res.arrayBuffer()
          if (res.ok) {
            for (const id of ids) acknowledged.add(id)
            return
          }
        } catch {}
        retries += 1
        await sleep(Math.min(100 * 2 ** attempt, 1_000))
      }
    }
    const clients = Array.from({ length: CONCURRENCY }, async () => {
      while (next < batches) await sendBatch(next++)
    })

    // The faults, in turn, each once the stream is well under way.
    const progress = () => next / batches
    const faultLog: string[] = []
    const at = async (fraction: number) => {
      while (progress() < fraction) await sleep(50)
    }
    const faultAt: number[] = []
    const note = (what: string) => {
      faultAt.push(next)
      faultLog.push(`${what} at batch ${next}/${batches}`)
    }
    const faults = (async () => {
      if (process.env.FAULT_NONE) return
      await at(0.15)
      await bridges[0]!.kill()
      note('kill -9 bridge-1')
      await sleep(1_000)
      bridges[0]!.start()
      await at(0.35)
      await writer.kill()
      note('kill -9 writer')
      await sleep(1_000)
      writer.start()
      // Redis before the broker: a broker restart (JVM start-up) is the slowest fault.
      await at(0.5)
      await redis!.kill()
      note('kill -9 redis')
      await sleep(500)
      await redis!.start()
      await at(0.65)
      await broker!.kill()
      note('kill -9 broker')
      await sleep(3_000)
      broker = await startKafka({ dataDir: broker!.dataDir, port: broker!.port })
    })()
    await Promise.all([...clients, faults])

    // Everything acknowledged reaches ClickHouse: wait for the spools and the writer's lag.
    const config = KafkaStreamConfigSchema.parse({ kind: 'kafka', brokers: broker.brokers })
    const probe = kafkaStream({ driver: kafkaDriver(config) })
    const spooled = async () => {
      const health = await Promise.all(
        urls.map((u) =>
          fetch(`${u}/healthz`).then((r) => r.json() as Promise<{ spool?: { records: number } }>),
        ),
      )
      return health.reduce((n, h) => n + (h.spool?.records ?? 1), 0)
    }
    expect(await eventually(spooled, (n) => n === 0, 120_000)).toBe(0)
    expect(
      await eventually(
        () => probe.lag(GROUP, 'events.v1'),
        (n) => n === 0,
        120_000,
        500,
      ),
    ).toBe(0)
    await probe.close()
    await writer.stop()
    await Promise.all(bridges.map((b) => b.stop()))

    const warehouse = await openWarehouse({ mode: 'embedded', path: chdb, database: DATABASE })
    const rows = await warehouse.query({
      name: 'test.fault_stored',
      sql: "SELECT message_id, toUInt32(count()) AS n FROM events WHERE message_id LIKE 'f%' GROUP BY message_id",
      row: z.object({ message_id: z.string(), n: z.coerce.number() }),
      limits: { maxResultRows: 10_000_000 },
    })
    await warehouse.close()
    const stored = new Map(rows.map((r) => [r.message_id, Number(r.n)]))
    const duplicates = rows.filter((r) => Number(r.n) > 1).length
    const lost = [...acknowledged].filter((id) => !stored.has(id)).length
    const report = {
      sent: sent.size,
      acknowledged: acknowledged.size,
      stored: stored.size,
      duplicates,
      lost,
      attempts,
      retries,
      faults: faultLog,
    }
    console.log(`cluster fault test: ${JSON.stringify(report)}`)
    expect(faultLog).toHaveLength(process.env.FAULT_NONE ? 0 : 4)
    // Every fault hit while batches were still being sent, not after the stream.
    for (const batch of faultAt) expect(batch).toBeLessThan(batches)
    expect(acknowledged.size).toBe(EVENTS)
    expect(duplicates).toBe(0)
    expect(lost).toBe(0)
  }, 600_000)
})
