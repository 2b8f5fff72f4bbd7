import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqlExec, sqlRows } from '../src/inspect.ts'
import { migrate } from '../src/migrate.ts'
import type { Warehouse } from '../src/port.ts'
import { type IngestCount, insertIngestStats, toIngestStatsRows } from '../src/tables/ingest-stats.ts'
import { chdbFixture } from './chdb-fixture.ts'

const chdb = chdbFixture()
let w: Warehouse
beforeAll(async () => {
  w = await chdb.open()
  await migrate(w)
})
afterAll(() => chdb.cleanup())

const MINUTE = Date.parse('2030-05-01T10:07:00Z')

/** What the endpoint's reads compute: sums by key, whatever the engine has merged so far. */
const perOutcome = () =>
  sqlRows<{ site_id: string; outcome: string; reason: string; events: number }>(
    w,
    `SELECT site_id, outcome, reason, sum(events) AS events FROM ingest_stats
     WHERE outcome != 'canary' GROUP BY site_id, outcome, reason ORDER BY site_id, outcome, reason`,
  )

describe('ingest_stats', () => {
  it('puts every count of a batch in its commit minute, canaries with bridge and lag', () => {
    const rows = toIngestStatsRows(
      [
        { outcome: 'inserted', siteId: 'a', events: 3 },
        { outcome: 'refused', siteId: 'a', stage: 'edge', reason: 'invalid_event', events: 1 },
        { outcome: 'canary', bridgeId: 'b-1', createdAtMs: MINUTE + 100, lagMs: 250 },
      ],
      MINUTE + 59_999,
    )
    expect(rows.map((r) => r.minute)).toEqual([MINUTE / 1000, MINUTE / 1000, MINUTE / 1000])
    expect(rows[1]).toMatchObject({ outcome: 'refused', stage: 'edge', reason: 'invalid_event', events: 1 })
    expect(rows[2]).toMatchObject({
      site_id: '',
      outcome: 'canary',
      bridge_id: 'b-1',
      created_at: '2030-05-01 10:07:00.100',
      events: 1,
      lag_ms: 250,
    })
  })

  it('sums several batches of one minute, before and after the engine merges them', async () => {
    const batch = (inserted: number, duplicates: number): IngestCount[] => [
      { outcome: 'inserted', siteId: 'sum', events: inserted },
      { outcome: 'duplicate', siteId: 'sum', events: duplicates },
      { outcome: 'refused', siteId: 'sum', stage: 'writer', reason: 'invalid_event', events: 1 },
    ]
    await insertIngestStats(w, toIngestStatsRows(batch(5, 1), MINUTE), 'sum-1')
    await insertIngestStats(w, toIngestStatsRows(batch(7, 0), MINUTE + 1_000), 'sum-2')
    const expected = [
      { site_id: 'sum', outcome: 'duplicate', reason: '', events: 1 },
      { site_id: 'sum', outcome: 'inserted', reason: '', events: 12 },
      { site_id: 'sum', outcome: 'refused', reason: 'invalid_event', events: 2 },
    ]
    expect(await perOutcome()).toEqual(expected)
    await sqlExec(w, 'OPTIMIZE TABLE ingest_stats FINAL')
    // Merged: one row per key, holding the sums.
    const stored = await sqlRows<{ c: string }>(
      w,
      "SELECT count() AS c FROM ingest_stats WHERE site_id = 'sum'",
    )
    expect(Number(stored[0]?.c)).toBe(3)
    expect(await perOutcome()).toEqual(expected)
  })

  it('drops a retried insert of the same batch, even when its counts differ', async () => {
    const first: IngestCount[] = [{ outcome: 'inserted', siteId: 'retry', events: 4 }]
    // The retry sees the same events as already loaded: duplicates now, and still one batch.
    const retry: IngestCount[] = [{ outcome: 'duplicate', siteId: 'retry', events: 4 }]
    await insertIngestStats(w, toIngestStatsRows(first, MINUTE), 'batch-retry')
    await insertIngestStats(w, toIngestStatsRows(retry, MINUTE), 'batch-retry')
    const rows = await sqlRows<{ outcome: string; events: number }>(
      w,
      "SELECT outcome, sum(events) AS events FROM ingest_stats WHERE site_id = 'retry' GROUP BY outcome",
    )
    expect(rows).toEqual([{ outcome: 'inserted', events: 4 }])
  })

  it('keeps a canary written twice readable as its own lag (sum of lags over sum of deliveries)', async () => {
    const canary: IngestCount = { outcome: 'canary', bridgeId: 'twice', createdAtMs: MINUTE, lagMs: 40 }
    await insertIngestStats(w, toIngestStatsRows([canary], MINUTE + 40), 'canary-a')
    await insertIngestStats(w, toIngestStatsRows([canary], MINUTE + 40), 'canary-b')
    await sqlExec(w, 'OPTIMIZE TABLE ingest_stats FINAL')
    const rows = await sqlRows<{ lag: number; deliveries: number }>(
      w,
      `SELECT intDiv(sum(lag_ms), sum(events)) AS lag, sum(events) AS deliveries FROM ingest_stats
       WHERE outcome = 'canary' AND bridge_id = 'twice' GROUP BY created_at`,
    )
    expect(rows).toEqual([{ lag: 40, deliveries: 2 }])
  })
})
