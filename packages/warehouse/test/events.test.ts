import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toEventRow } from '../src/event-row.ts'
import { sqlExec, sqlRows } from '../src/inspect.ts'
import { migrate } from '../src/migrate.ts'
import type { Warehouse } from '../src/port.ts'
import { insertEvents } from '../src/tables/events.ts'
import { insertRejected } from '../src/tables/rejected.ts'
import { chdbFixture } from './chdb-fixture.ts'
import { sampleEvent } from './sample-event.ts'

const chdb = chdbFixture()
afterAll(() => chdb.cleanup())

async function migrated(): Promise<Warehouse> {
  const w = await chdb.open()
  await migrate(w)
  return w
}

async function count(w: Warehouse, sql: string): Promise<number> {
  const [row] = await sqlRows<{ c: number }>(w, sql)
  return Number(row?.c)
}

describe('events table', () => {
  let w: Warehouse
  beforeAll(async () => {
    w = await migrated()
  })

  it('round-trips an enriched event through toEventRow', async () => {
    await insertEvents(w, [sampleEvent()], 'roundtrip-1')
    const [row] = await sqlRows<Record<string, unknown>>(
      w,
      `SELECT site_id, ts, received_at, client_ts, sent_at, type, event, person_id, properties, traits,
              properties.plan AS plan, referrer_host, utm_campaign, screen_width, geo_country, geo_city,
              geo_latitude, geo_asn, geo_as_org, browser, os, device_type, is_bot, bot_score, bot_reasons,
              edge_colo, ingest_path, ip, user_agent, retention_days
       FROM events WHERE message_id = {id:String}`,
      { id: 'msg-1' },
    )
    expect(row).toMatchObject({
      site_id: 'site-a',
      ts: '2030-03-04 09:00:00.750',
      received_at: '2030-03-04 09:00:02.250',
      client_ts: '2030-03-04 09:00:00.000',
      sent_at: '2030-03-04 09:00:01.500',
      type: 'page',
      event: '$pageview',
      person_id: 'anon-1',
      plan: 'pro',
      referrer_host: 'google.com',
      utm_campaign: 'spring',
      screen_width: 1440,
      geo_country: 'DE',
      geo_city: 'Berlin',
      geo_asn: 3320,
      geo_as_org: 'Deutsche Telekom AG',
      browser: 'Firefox',
      os: 'Linux',
      device_type: 'desktop',
      is_bot: true,
      bot_reasons: ['headless', 'datacenter_asn'],
      edge_colo: 'FRA',
      ingest_path: 'native',
      ip: '',
      retention_days: 395,
    })
    expect(row?.geo_latitude).toBeCloseTo(52.52, 4)
    expect(row?.bot_score).toBeCloseTo(0.9, 5)
    // Dotted keys survive because the client escapes dots in JSON keys (see open.ts).
    expect(row?.properties).toEqual({
      plan: 'pro',
      price: 12.5,
      tags: ['a', 'b'],
      nested: { deep: { ok: true } },
      'dotted.key': 1,
    })
    expect(row?.traits).toEqual({})
  })

  it('loads sparse rows (zero values omitted) without touching nested zeros', async () => {
    const event = sampleEvent({
      message_id: 'sparse-1',
      user_id: '',
      properties: { zero: 0, empty: '', no: false, none: null, list: [], nested: { zero: 0 } },
    })
    await w.insert('events', [toEventRow(event)], { dedupToken: 'sparse-1', omitZeroValues: true })
    const [row] = await sqlRows<Record<string, unknown>>(
      w,
      `SELECT person_id, user_id, properties.zero AS zero, properties.empty AS empty, properties.no AS no,
              properties.nested.zero AS nested_zero, retention_days
       FROM events WHERE message_id = 'sparse-1'`,
    )
    expect(row).toMatchObject({
      person_id: 'anon-1',
      user_id: '',
      zero: 0,
      empty: '',
      no: false,
      nested_zero: 0,
      retention_days: 395,
    })
  })

  it('counts the same batch with the same token once', async () => {
    const batch = [sampleEvent({ message_id: 'd-1' }), sampleEvent({ message_id: 'd-2', user_id: 'u-1' })]
    await insertEvents(w, batch, 'batch:p0:100-101')
    await insertEvents(w, batch, 'batch:p0:100-101')
    expect(await count(w, "SELECT count() AS c FROM events WHERE message_id IN ('d-1', 'd-2')")).toBe(2)
  })

  it('does not let a previous token swallow the next untokened insert', async () => {
    await insertEvents(w, [sampleEvent({ message_id: 't-1' })], 'tok-x')
    await insertEvents(w, [sampleEvent({ message_id: 't-2' })])
    expect(await count(w, "SELECT count() AS c FROM events WHERE message_id IN ('t-1', 't-2')")).toBe(2)
  })

  it('finds a row by message_id through the bloom filter index', async () => {
    const plan = await sqlRows<{ explain: string }>(
      w,
      "EXPLAIN indexes = 1 SELECT 1 FROM events WHERE message_id = 'd-1'",
    )
    expect(plan.map((r) => r.explain).join('\n')).toContain('idx_message_id')
  })

  it('drops rows past their own retention_days', async () => {
    const ts = new Date(Date.now() - 3 * 86_400_000).toISOString()
    const old = sampleEvent({ message_id: 'ttl-short', site_id: 'ttl', ts })
    await insertEvents(w, [old], 'ttl-1', { retentionDays: 1 })
    await insertEvents(w, [{ ...old, message_id: 'ttl-long' }], 'ttl-2', { retentionDays: 30 })
    await sqlExec(w, 'OPTIMIZE TABLE events FINAL')
    const rows = await sqlRows<{ message_id: string }>(
      w,
      "SELECT message_id FROM events WHERE site_id = 'ttl'",
    )
    expect(rows).toEqual([{ message_id: 'ttl-long' }])
  })

  it('keeps rejected events with their reason', async () => {
    await insertRejected(w, [
      {
        site_id: 'site-a',
        received_at: '2030-03-04T09:00:00Z',
        stage: 'writer',
        code: 'invalid_event',
        message: 'properties too deep',
        message_id: 'r-1',
        ingest_path: 'native',
        payload: { type: 'track' },
      },
    ])
    const rows = await sqlRows(w, 'SELECT stage, code, payload FROM rejected WHERE site_id = {s:String}', {
      s: 'site-a',
    })
    expect(rows).toEqual([{ stage: 'writer', code: 'invalid_event', payload: '{"type":"track"}' }])
  })
})

describe('database isolation', () => {
  it('keeps each warehouse to its own database with unqualified names', async () => {
    const a = await migrated()
    const b = await migrated()
    await insertEvents(a, [sampleEvent({ message_id: 'only-in-a' })], 'iso-a')
    expect(await count(a, 'SELECT count() AS c FROM events')).toBe(1)
    expect(await count(b, 'SELECT count() AS c FROM events')).toBe(0)
    const [current] = await sqlRows<{ d: string }>(b, 'SELECT currentDatabase() AS d')
    expect(current?.d).toBe(b.database)
  })

  it('refuses a database name that is not an identifier', async () => {
    const { openWarehouse } = await import('../src/open.ts')
    await expect(
      openWarehouse({ mode: 'embedded', path: chdb.path, database: 'x; DROP TABLE y' }),
    ).rejects.toThrow(/invalid ClickHouse database name/)
  })

  it('surfaces engine errors as exceptions', async () => {
    const w = await chdb.open()
    await expect(sqlRows(w, 'SELECT * FROM no_such_table')).rejects.toThrow(/no_such_table/)
  })
})
