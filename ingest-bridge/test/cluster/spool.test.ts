import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { type KafkaStreamConfig, KafkaStreamConfigSchema, kafkaDriver, kafkaStream } from '@sightline/stream'
import { eventually, type KafkaBroker, startKafka, type TempDir, tempDir } from '@sightline/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { composePipeline, ensureKafkaTopics, type Pipeline } from '../../src/index.ts'
import { edgeBatch, edgeEvent, signedRequest } from '../edge-batches.ts'

// The bridge's spool on a real broker: Kafka goes away (kill -9), the bridge keeps answering
// 2xx from its on-disk spool, says so in /healthz and /readyz, and when the broker is back
// drains the spool in order; every event lands in ClickHouse once. A broker that cannot start
// fails this file (in CI and locally), it is never a skip.
let dir: TempDir
let broker: KafkaBroker
let pipeline: Pipeline
let base: string

beforeAll(async () => {
  dir = await tempDir('bridge-spool-')
  broker = await startKafka({ dataDir: join(dir.path, 'kafka') })
  await ensureKafkaTopics(broker.brokers)
  pipeline = await composePipeline({
    stream: {
      kind: 'kafka',
      brokers: broker.brokers,
      appendTimeoutMs: 5_000,
      spool: {
        dir: join(dir.path, 'spool'),
        fsync: false,
        primaryTimeoutMs: 1_000,
        maxBytes: 4 * 1024 * 1024,
      },
    },
    dedup: { kind: 'memory' },
    warehouse: { mode: 'embedded', path: join(dir.path, 'chdb'), database: `spool_${process.pid}` },
    receiver: { host: '127.0.0.1', port: 0, signingKeys: { k1: 'test-signing-secret-0123456789' } },
    writer: { maxWaitMs: 50 },
    group: `writer-${process.pid}`,
  })
  base = `http://127.0.0.1:${(pipeline.bridge!.address() as AddressInfo).port}`
})
afterAll(async () => {
  await pipeline?.stop()
  await broker?.kill()
  await dir?.cleanup()
})

/** One person's events carry a sequence number in their message id: person-seq. */
function personBatch(person: string, seqs: number[]) {
  const batch = edgeBatch([])
  batch.events = seqs.map((n) =>
    edgeEvent(`${person}-${String(n).padStart(4, '0')}`, { anonymous_id: person }),
  )
  return batch
}

async function send(body: object): Promise<Response> {
  return fetch(`${base}/v1/ingest`, await signedRequest(JSON.stringify(body)))
}

async function healthz(): Promise<{
  ok: boolean
  stream?: string
  spool?: { mode: string; records: number }
}> {
  return (await fetch(`${base}/healthz`)).json() as never
}

describe('spool in front of Kafka', () => {
  const people = ['p1', 'p2', 'p3']
  let seq = 0
  async function sendRound(): Promise<void> {
    const seqs = [seq++, seq++]
    const batch = edgeBatch([])
    // Two people per edge batch: the receiver splits it so each is keyed site:person.
    batch.events = people.flatMap((p) => personBatch(p, seqs).events)
    const res = await send(batch)
    expect(res.status).toBe(200)
  }

  it('appends to Kafka directly while the broker answers', async () => {
    for (let i = 0; i < 5; i++) await sendRound()
    expect(await healthz()).toMatchObject({ ok: true, stream: 'kafka', spool: { mode: 'direct' } })
  })

  it('keeps answering 2xx while Kafka is down, and says it is spooling', async () => {
    await broker.kill()
    for (let i = 0; i < 10; i++) await sendRound()
    const health = await healthz()
    expect(health).toMatchObject({ ok: true, stream: 'spooling', spool: { mode: 'spooling' } })
    expect(health.spool!.records).toBeGreaterThan(0)
    const ready = await fetch(`${base}/readyz`)
    expect(ready.status).toBe(200)
    expect(((await ready.json()) as { roles: { receiver: object } }).roles.receiver).toMatchObject({
      ready: true,
      spool: { mode: 'spooling' },
    })
  })

  it('answers 503 + Retry-After only once the spool is full', async () => {
    const big = edgeBatch([])
    // ~1 MiB per batch: the 4 MiB spool fills after a few.
    big.events = Array.from({ length: 40 }, (_, i) =>
      edgeEvent(`big-${i}`, { anonymous_id: 'big', properties: { pad: 'x'.repeat(25_000) } } as never),
    )
    let status = 200
    let retryAfter: string | null = null
    for (let i = 0; i < 10 && status === 200; i++) {
      big.batch_id = crypto.randomUUID()
      const res = await send(big)
      status = res.status
      retryAfter = res.headers.get('retry-after')
      await res.arrayBuffer()
    }
    expect(status).toBe(503)
    expect(Number(retryAfter)).toBeGreaterThan(0)
    // Still alive: a full spool is back pressure, not death.
    expect((await healthz()).ok).toBe(true)
    expect((await fetch(`${base}/readyz`)).status).toBe(503)
  })

  it('drains the spool in order when the broker is back, and every event lands once', async () => {
    broker = await startKafka({ dataDir: broker.dataDir, port: broker.port })
    await eventually(healthz, (h) => h.stream === 'kafka', 60_000)
    for (let i = 0; i < 5; i++) await sendRound()
    const expected = seq * people.length
    const rows = await eventually(
      () =>
        pipeline.warehouse!.query({
          name: 'test.spool_stored',
          sql: "SELECT count() AS n, uniqExact(message_id) AS u FROM events WHERE message_id LIKE 'p_-%'",
          row: z.object({ n: z.coerce.number(), u: z.coerce.number() }),
        }),
      (r) => Number(r[0]!.n) >= expected,
      90_000,
    )
    expect(rows[0]).toEqual({ n: expected, u: expected })

    // Per person, the events sit in Kafka in the order they were accepted.
    const config: KafkaStreamConfig = KafkaStreamConfigSchema.parse({
      kind: 'kafka',
      brokers: broker.brokers,
    })
    const reader = kafkaStream({ driver: kafkaDriver(config) })
    const seen = new Map<string, number[]>()
    const consumer = reader.consume({ group: `verify-${process.pid}`, topic: 'events.v1' }, async (batch) => {
      for (const record of batch.records) {
        const body = JSON.parse(new TextDecoder().decode(record.value)) as {
          events: { message_id: string }[]
        }
        for (const e of body.events) {
          const [person, n] = e.message_id.split('-')
          if (!people.includes(person!)) continue
          seen.set(person!, [...(seen.get(person!) ?? []), Number(n)])
        }
      }
    })
    await eventually(
      async () => [...seen.values()].reduce((n, s) => n + s.length, 0),
      (n) => n >= expected,
      30_000,
    )
    await consumer.stop()
    await reader.close()
    for (const person of people) {
      const firsts = [...new Set(seen.get(person))]
      expect(firsts).toEqual([...firsts].sort((a, b) => a - b))
      expect(firsts).toHaveLength(seq)
    }
  }, 180_000)
})
