import { type IngestCount, insertIngestStats, toIngestStatsRows } from '@sightline/warehouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { IngestResponse } from '../src/http/ingest-route.ts'
import { MAX_INGEST_BUCKETS } from '../src/ingest/plan.ts'
import { type ErrorJson, get, KEY_A, KEY_B, openTestEnv, type TestEnv } from './support.ts'

// Hand-made ingest_stats: site_a over two hours (several batches in one minute), site_b in
// one minute, and canaries of two bridges (one recorded twice, as a redelivery would).
let env: TestEnv
const at = (iso: string) => Date.parse(iso)
let batchNo = 0
const batch = (counts: IngestCount[], committed: string) =>
  insertIngestStats(env.warehouse, toIngestStatsRows(counts, at(committed)), `fixture-${++batchNo}`)

beforeAll(async () => {
  env = await openTestEnv({ seed: false })
  await batch(
    [
      { outcome: 'inserted', siteId: 'site_a', events: 10 },
      { outcome: 'duplicate', siteId: 'site_a', events: 2 },
      { outcome: 'refused', siteId: 'site_a', stage: 'edge', reason: 'invalid_event', events: 1 },
      { outcome: 'inserted', siteId: 'site_b', events: 99 },
    ],
    '2030-05-01T10:05:10Z',
  )
  // The same minute again: read as one sum, merged or not.
  await batch(
    [
      { outcome: 'inserted', siteId: 'site_a', events: 5 },
      { outcome: 'refused', siteId: 'site_a', stage: 'writer', reason: 'invalid_event', events: 3 },
      { outcome: 'canary', bridgeId: 'bridge-1', createdAtMs: at('2030-05-01T10:05:40Z'), lagMs: 120 },
    ],
    '2030-05-01T10:05:40.120Z',
  )
  await batch(
    [
      { outcome: 'inserted', siteId: 'site_a', events: 7 },
      { outcome: 'refused', siteId: 'site_a', stage: 'edge', reason: 'invalid_event', events: 2 },
      { outcome: 'canary', bridgeId: 'bridge-1', createdAtMs: at('2030-05-01T11:30:00Z'), lagMs: 480 },
      { outcome: 'canary', bridgeId: 'bridge-2', createdAtMs: at('2030-05-01T11:29:59Z'), lagMs: 90 },
    ],
    '2030-05-01T11:30:00.480Z',
  )
  // bridge-2's canary recorded a second time (another token: as after a writer restart).
  await batch(
    [{ outcome: 'canary', bridgeId: 'bridge-2', createdAtMs: at('2030-05-01T11:29:59Z'), lagMs: 90 }],
    '2030-05-01T11:30:00.100Z',
  )
  // Outside the range.
  await batch([{ outcome: 'inserted', siteId: 'site_a', events: 1000 }], '2030-05-01T09:59:59Z')
})
afterAll(async () => {
  await env?.close()
})

const RANGE = 'from=2030-05-01T10:00:00Z&to=2030-05-01T12:00:00Z'

async function ingest(query: string, key = KEY_A, site = 'site_a'): Promise<IngestResponse> {
  const res = await get(env.app, `/v1/sites/${site}/ingest?${query}`, key)
  expect(res.status).toBe(200)
  return (await res.json()) as IngestResponse
}

describe('GET /v1/sites/:site/ingest', () => {
  it('counts inserted, duplicates and refusals by reason per hour, and in total', async () => {
    const body = await ingest(`${RANGE}&interval=hour`)
    expect(body).toMatchObject({
      site: 'site_a',
      from: '2030-05-01T10:00:00.000Z',
      to: '2030-05-01T12:00:00.000Z',
      interval: 'hour',
    })
    expect(body.buckets).toEqual([
      {
        start: '2030-05-01T10:00:00.000Z',
        inserted: 15,
        duplicates: 2,
        refused: 4,
        refused_by_reason: [
          { stage: 'writer', reason: 'invalid_event', count: 3 },
          { stage: 'edge', reason: 'invalid_event', count: 1 },
        ],
      },
      {
        start: '2030-05-01T11:00:00.000Z',
        inserted: 7,
        duplicates: 0,
        refused: 2,
        refused_by_reason: [{ stage: 'edge', reason: 'invalid_event', count: 2 }],
      },
    ])
    expect(body.totals).toEqual({
      inserted: 22,
      duplicates: 2,
      refused: 6,
      refused_by_reason: [
        { stage: 'edge', reason: 'invalid_event', count: 3 },
        { stage: 'writer', reason: 'invalid_event', count: 3 },
      ],
    })
  })

  it('fills every minute of the range, empty ones with zeros', async () => {
    const body = await ingest('from=2030-05-01T10:04:00Z&to=2030-05-01T10:07:00Z&interval=minute')
    expect(body.buckets.map((b) => [b.start.slice(11, 16), b.inserted, b.refused])).toEqual([
      ['10:04', 0, 0],
      ['10:05', 15, 4],
      ['10:06', 0, 0],
    ])
  })

  it('shows each bridge’s latest canary lag to any site’s key: it is the pipeline’s, not a site’s', async () => {
    const expected = [
      {
        bridge_id: 'bridge-1',
        canaries: 2,
        last_created_at: '2030-05-01T11:30:00.000Z',
        last_lag_ms: 480,
        max_lag_ms: 480,
      },
      // Recorded twice, still one canary with its own lag.
      {
        bridge_id: 'bridge-2',
        canaries: 1,
        last_created_at: '2030-05-01T11:29:59.000Z',
        last_lag_ms: 90,
        max_lag_ms: 90,
      },
    ]
    expect((await ingest(RANGE)).canaries).toEqual(expected)
    const b = await ingest(RANGE, KEY_B, 'site_b')
    expect(b.canaries).toEqual(expected)
    expect(b.totals).toMatchObject({ inserted: 99, duplicates: 0, refused: 0 })
    // Only the canaries committed in the range.
    const early = await ingest('from=2030-05-01T10:00:00Z&to=2030-05-01T11:00:00Z')
    expect(early.canaries).toEqual([
      {
        bridge_id: 'bridge-1',
        canaries: 1,
        last_created_at: '2030-05-01T10:05:40.000Z',
        last_lag_ms: 120,
        max_lag_ms: 120,
      },
    ])
  })

  it('never shows another site’s numbers', async () => {
    const res = await get(env.app, `/v1/sites/site_a/ingest?${RANGE}`, KEY_B)
    expect(res.status).toBe(403)
  })

  it('refuses bad parameters with invalid_query, naming them', async () => {
    const cases: Array<[string, RegExp]> = [
      [`${RANGE}&interval=week`, /interval/],
      [`${RANGE}&site=site_b`, /unknown parameter\(s\): site/],
      ['from=2030-05-02&to=2030-05-01', /earlier/],
      [
        'from=2030-05-01&to=2030-05-03&interval=minute',
        new RegExp(`more than ${MAX_INGEST_BUCKETS.toLocaleString('en')}`),
      ],
    ]
    for (const [query, message] of cases) {
      const res = await get(env.app, `/v1/sites/site_a/ingest?${query}`, KEY_A)
      expect(res.status, query).toBe(400)
      const body = (await res.json()) as ErrorJson
      expect(body.error.code).toBe('invalid_query')
      expect(body.error.message, query).toMatch(message)
    }
  })
})
