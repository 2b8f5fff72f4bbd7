import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import {
  type EdgeBatch,
  type EdgeRejection,
  type EnrichedEvent,
  SIGNATURE_HEADER,
  signBody,
} from '@sightline/contracts'
import type { IngestResponse } from '@sightline/query-service'
import { eventually, type TempDir, tempDir } from '@sightline/testing'
import { sqlRows } from '@sightline/testing/sql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHub } from '../src/hub.ts'
import { dataLayout, loadOrCreateState } from '../src/workspace.ts'

// The embedded hub in this process, canaries every 200 ms: events signed like the edge's go
// through the real bridge → segment log → writer → chdb, and the ingest endpoint must report
// exactly what the test sent, counted here independently, plus a canary lag that is real.
let dir: TempDir
let hub: Awaited<ReturnType<typeof startHub>>
let readKey: string
let signing: { key_id: string; key: string }
const started = new Date()

beforeAll(async () => {
  dir = await tempDir('sightline-hub-ingest-')
  const dataDir = join(dir.path, 'data')
  hub = await startHub({
    dataDir,
    bridgePort: 0,
    queryPort: 0,
    logLevel: 'silent',
    geoDatabases: [],
    canaryIntervalMs: 200,
  })
  const { state } = loadOrCreateState(dataLayout(dataDir))
  readKey = state.local_read_keys.demo!
  signing = state.signing
}, 120_000)
afterAll(async () => {
  await hub?.stop()
  await dir?.cleanup()
})

function pageview(messageId: string): EnrichedEvent {
  const now = new Date().toISOString()
  return {
    type: 'page',
    event: '$pageview',
    message_id: messageId,
    anonymous_id: `ingest-${messageId}`,
    user_id: '',
    timestamp: now,
    received_at: now,
    ts: now,
    clock_skewed: false,
    site_id: 'demo',
    properties: {},
    traits: {},
    context: { page: { path: '/health' } },
    ingest_path: 'native',
  }
}

async function ingest(events: EnrichedEvent[], rejected: EdgeRejection[] = []): Promise<void> {
  const batch: EdgeBatch = {
    v: 1,
    batch_id: randomUUID(),
    site_id: 'demo',
    received_at: new Date().toISOString(),
    ingest_path: 'native',
    events,
    ...(rejected.length > 0 ? { rejected } : {}),
  }
  const body = JSON.stringify(batch)
  const res = await fetch(`${hub.urls.bridge}/v1/ingest`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: await signBody(body, signing.key_id, signing.key),
    },
    body,
  })
  expect(res.status).toBe(200)
}

const query = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${hub.urls.query}${path}`, { headers: { authorization: `Bearer ${readKey}` } })
  expect(res.status, path).toBe(200)
  return (await res.json()) as T
}

const range = () =>
  `from=${new Date(started.getTime() - 60_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}`

describe('ingest health through the embedded hub', () => {
  it('reports what was sent, per interval, and a real canary lag; no insight counts a canary', async () => {
    // N good events in two batches; M of them sent again (a client retry in new batches);
    // K refused: two the edge refused (carried in the batch) and one the writer cannot load.
    const good = Array.from({ length: 10 }, (_, i) => `good-${i}`)
    await ingest(good.slice(0, 6).map(pageview))
    await ingest(good.slice(6).map(pageview))
    const again = [good[0]!, good[3]!, good[9]!]
    await ingest(again.map(pageview))
    const broken = pageview('broken-time')
    broken.ts = 'not a time'
    await ingest(
      [broken],
      [
        { index: 1, code: 'invalid_event', message: 'anonymous_id: missing', raw: '{}' },
        { index: 2, code: 'invalid_event', message: 'event: too long', raw: '{}' },
      ],
    )
    const sent = { inserted: good.length, duplicates: again.length, refused: 3 }

    const health = await eventually(
      () => query<IngestResponse>(`/v1/sites/demo/ingest?${range()}&interval=minute`),
      (h) =>
        h.totals.inserted + h.totals.duplicates + h.totals.refused >=
          sent.inserted + sent.duplicates + sent.refused && h.canaries.length > 0,
      30_000,
    )
    expect(health.totals).toEqual({
      ...sent,
      refused_by_reason: [
        { stage: 'edge', reason: 'invalid_event', count: 2 },
        { stage: 'writer', reason: 'invalid_event', count: 1 },
      ],
    })
    // The minutes add up to the totals, whichever minute each batch committed in.
    const sum = (key: 'inserted' | 'duplicates' | 'refused') => health.buckets.reduce((n, b) => n + b[key], 0)
    expect({ inserted: sum('inserted'), duplicates: sum('duplicates'), refused: sum('refused') }).toEqual(
      sent,
    )

    // The hub's one bridge: canaries every 200 ms, each through the log and the writer.
    const [canary] = health.canaries
    expect(health.canaries).toHaveLength(1)
    expect(canary!.bridge_id).toBe('hub')
    expect(canary!.canaries).toBeGreaterThanOrEqual(1)
    expect(canary!.last_lag_ms).toBeGreaterThanOrEqual(0)
    // Appended, batched (≤ 200 ms wait) and inserted on this machine: well under 5 s.
    expect(canary!.max_lag_ms).toBeLessThan(5_000)
    expect(Date.parse(canary!.last_created_at)).toBeGreaterThanOrEqual(started.getTime())

    // Insights count the real events only, and no canary is a row of events at all.
    const stats = await query<{ events: number; visitors: number }>(
      `/v1/sites/demo/stats?${range()}&include_bots=1`,
    )
    expect(stats.events).toBe(sent.inserted)
    const canaryRows = await sqlRows<{ c: number }>(
      hub.warehouse,
      "SELECT toUInt64(count()) AS c FROM events WHERE ingest_path = 'canary' OR event = '$canary'",
    )
    expect(canaryRows).toEqual([{ c: 0 }])
    expect(hub.counters.get('sightline_writer_canaries_total', { bridge: 'hub' })).toBeGreaterThanOrEqual(1)
  })

  it('keeps counting canaries while no event is sent', async () => {
    const count = async () =>
      (await query<IngestResponse>(`/v1/sites/demo/ingest?${range()}&interval=hour`)).canaries[0]?.canaries ??
      0
    const before = await count()
    expect(await eventually(count, (n) => n >= before + 2, 10_000)).toBeGreaterThanOrEqual(before + 2)
  })
})
