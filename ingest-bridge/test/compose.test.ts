import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { EdgeBatch } from '@sightline/contracts'
import { SiteSchema, siteSettingsIndex } from '@sightline/metadata'
import { eventually, type TempDir, tempDir } from '@sightline/testing'
import { sqlRows } from '@sightline/testing/sql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { composePipeline, type Pipeline } from '../src/index.ts'
import { edgeBatch, edgeEvent, SIGNING_KEYS, signedRequest } from './edge-batches.ts'

// The whole pipeline as the hub composes it (receiver + segment log + writer + chdb), fed
// over HTTP, with per-site settings from a site store.
let dir: TempDir
let pipeline: Pipeline
let base: string
const RAW_V4 = '203.0.113.77'
const RAW_V6 = '2001:db8:85a3::8a2e:370:7334'

beforeAll(async () => {
  dir = await tempDir('bridge-compose-')
  const sites = [
    { site_id: 'short', write_keys: ['wk_s'], retention_days: 30 },
    { site_id: 'keeper', write_keys: ['wk_k'], privacy: { keep_ip: true } },
  ].map((s) => SiteSchema.parse(s))
  pipeline = await composePipeline({
    stream: { kind: 'segment-log', dir: join(dir.path, 'stream'), fsync: false },
    dedup: { kind: 'memory' },
    warehouse: { mode: 'embedded', path: join(dir.path, 'chdb'), database: `compose_${process.pid}` },
    sites: siteSettingsIndex(sites),
    receiver: { host: '127.0.0.1', port: 0, signingKeys: SIGNING_KEYS },
    writer: { maxWaitMs: 20 },
  })
  base = `http://127.0.0.1:${(pipeline.bridge!.address() as AddressInfo).port}`
})
afterAll(async () => {
  await pipeline.stop()
  await dir.cleanup()
})

/** A batch from a client that put its IP everywhere: a refused event's raw text and the event. */
function leakyBatch(siteId: string, id: string): EdgeBatch {
  const batch = edgeBatch([id], siteId)
  batch.events = [edgeEvent(id, { site_id: siteId, ip: RAW_V4 })]
  batch.rejected = [
    {
      index: 1,
      code: 'invalid_event',
      message: 'missing anonymous_id',
      raw: JSON.stringify({ type: 'track', context: { ip: RAW_V6 }, properties: { $ip: RAW_V4 } }),
    },
  ]
  return batch
}

async function send(batch: EdgeBatch): Promise<Response> {
  return fetch(`${base}/v1/ingest`, await signedRequest(JSON.stringify(batch)))
}

describe('composed pipeline', () => {
  it('is ready once the writer has its dedup memory, and reports its lag', async () => {
    const ready = await eventually(
      async () => (await fetch(`${base}/readyz`)).json() as Promise<{ ok: boolean; roles: object }>,
      (r) => r.ok,
      10_000,
    )
    expect(ready.roles).toEqual({ receiver: { ready: true }, writer: { ready: true, lag: 0 } })
  })

  it("stamps each row's retention_days from its site's setting (ADR 0003)", async () => {
    expect((await send(edgeBatch(['r1'], 'short'))).status).toBe(200)
    expect((await send(edgeBatch(['r2'], 'other'))).status).toBe(200)
    const rows = await eventually(
      () =>
        sqlRows<{ site_id: string; retention_days: number }>(
          pipeline.warehouse!,
          "SELECT site_id, retention_days FROM events WHERE message_id IN ('r1', 'r2') ORDER BY site_id",
        ),
      (r) => r.length === 2,
      20_000,
    )
    expect(rows).toEqual([
      { site_id: 'other', retention_days: 395 },
      { site_id: 'short', retention_days: 30 },
    ])
  })

  it('stores no raw client IP (stream log, events, rejected.payload) unless the site keeps IPs', async () => {
    expect((await send(leakyBatch('short', 'leak-1'))).status).toBe(200)
    expect((await send(leakyBatch('keeper', 'keep-1'))).status).toBe(200)
    const rejected = await eventually(
      () =>
        sqlRows<{ site_id: string; payload: string }>(
          pipeline.warehouse!,
          "SELECT site_id, payload FROM rejected WHERE site_id IN ('short', 'keeper') ORDER BY site_id",
        ),
      (r) => r.length === 2,
      20_000,
    )
    const events = await eventually(
      () =>
        sqlRows<{ site_id: string; ip: string }>(
          pipeline.warehouse!,
          "SELECT site_id, ip FROM events WHERE message_id IN ('leak-1', 'keep-1') ORDER BY site_id",
        ),
      (r) => r.length === 2,
      20_000,
    )
    expect(events).toEqual([
      { site_id: 'keeper', ip: RAW_V4 },
      { site_id: 'short', ip: '' },
    ])
    const [keeper, short] = rejected
    expect(keeper!.payload).toContain(RAW_V6)
    expect(short!.payload).not.toContain(RAW_V4)
    expect(short!.payload).not.toContain(RAW_V6)
    expect(short!.payload).toContain('[ip removed]')
    // And the stream log on disk, read back record by record.
    const values: string[] = []
    await new Promise<void>((resolve) => {
      const consumer = pipeline.stream.consume(
        { group: 'audit', topic: 'events.v1', maxWaitMs: 10 },
        async (b) => {
          for (const r of b.records) values.push(new TextDecoder().decode(r.value))
          if (values.length >= 4) void consumer.stop().then(resolve)
        },
      )
    })
    const shortRecords = values.filter((v) => v.includes('"site_id":"short"'))
    expect(shortRecords.length).toBeGreaterThan(0)
    for (const v of shortRecords) {
      expect(v).not.toContain(RAW_V4)
      expect(v).not.toContain(RAW_V6)
    }
  })

  it('stops in order: the listener first, then the writer, stream and warehouse', async () => {
    await pipeline.stop()
    await expect(fetch(`${base}/healthz`)).rejects.toThrow()
    expect(pipeline.writer!.ready).toBe(false)
    // Stopping twice is one stop.
    await pipeline.stop()
  })
})
