import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { type EdgeBatch, type EnrichedEvent, SIGNATURE_HEADER, signBody } from '@sightline/contracts'
import { type TempDir, tempDir } from '@sightline/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHub } from '../src/hub.ts'
import { dataLayout, loadOrCreateState } from '../src/workspace.ts'

// The embedded hub in this process: its query service caches answers under the watermark its
// own writer advances, so an event loaded through the real bridge → log → writer path must
// show up in the very next answer after it commits, never behind a cached one.
let dir: TempDir
let hub: Awaited<ReturnType<typeof startHub>>
let readKey: string
let signing: { key_id: string; key: string }

beforeAll(async () => {
  dir = await tempDir('sightline-hub-cache-')
  const dataDir = join(dir.path, 'data')
  hub = await startHub({ dataDir, bridgePort: 0, queryPort: 0, logLevel: 'silent', geoDatabases: [] })
  const { state } = loadOrCreateState(dataLayout(dataDir))
  readKey = state.local_read_keys.demo!
  signing = state.signing
}, 120_000)
afterAll(async () => {
  await hub?.stop()
  await dir?.cleanup()
})

function pageview(): EnrichedEvent {
  const now = new Date().toISOString()
  return {
    type: 'page',
    event: '$pageview',
    message_id: randomUUID(),
    anonymous_id: `cache-${randomUUID()}`,
    user_id: '',
    timestamp: now,
    received_at: now,
    ts: now,
    clock_skewed: false,
    site_id: 'demo',
    properties: {},
    traits: {},
    context: { page: { path: '/cached' } },
    ingest_path: 'native',
  }
}

async function ingest(events: EnrichedEvent[]): Promise<number> {
  const batch: EdgeBatch = {
    v: 1,
    batch_id: randomUUID(),
    site_id: 'demo',
    received_at: new Date().toISOString(),
    events,
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
  return res.status
}

// A fixed range (a cacheable spec) around now.
const from = new Date(Date.now() - 3_600_000).toISOString()
const to = new Date(Date.now() + 3_600_000).toISOString()

async function stats(): Promise<{ events: number; meta: { cache: string } }> {
  const res = await fetch(`${hub.urls.query}/v1/sites/demo/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${readKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'stats', from, to, include_bots: true }),
  })
  expect(res.status).toBe(200)
  return (await res.json()) as { events: number; meta: { cache: string } }
}

describe('the result cache on the embedded hub', () => {
  it('serves repeats from the cache and recomputes once the writer commits new events', async () => {
    const first = await stats()
    expect(first.meta).toEqual({
      cache: 'miss',
      elapsed_ms: expect.any(Number),
      source: 'events',
      rows_read: expect.any(Number),
      bytes_read: expect.any(Number),
    })
    // A hit says only that it is one: what the answer was computed from, and what that read,
    // is not kept with it (and the hit itself read nothing).
    expect(await stats()).toEqual({ ...first, meta: { cache: 'hit', elapsed_ms: expect.any(Number) } })
    for (let round = 1; round <= 2; round++) {
      expect(await ingest([pageview(), pageview()])).toBe(200)
      // The writer commits within its batching delay; until then the old answer is current.
      const deadline = Date.now() + 15_000
      let seen = await stats()
      while (seen.events < first.events + 2 * round && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        seen = await stats()
      }
      expect(seen.events).toBe(first.events + 2 * round)
      // Computed after the commit, then served from the cache until the next one. A batch's
      // commit is two inserts (its events, then its ingest_stats rows for the site), each
      // moving the site's watermark, so the answer that first shows the events may be
      // recomputed once more; after that, repeats are hits.
      let again = await stats()
      while (again.meta.cache !== 'hit' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        again = await stats()
      }
      expect(again.events).toBe(first.events + 2 * round)
      expect(again.meta.cache).toBe('hit')
    }
  }, 60_000)
})
