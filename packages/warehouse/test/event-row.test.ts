import { describe, expect, it } from 'vitest'
import { DEFAULT_RETENTION_DAYS, referrerHost, toClickHouseTime, toEventRow } from '../src/event-row.ts'
import { toRejectedRow } from '../src/tables/rejected.ts'
import { sampleEvent } from './sample-event.ts'

describe('toEventRow (pure)', () => {
  it('formats every timestamp as UTC text ClickHouse parses without settings', () => {
    const row = toEventRow(sampleEvent())
    expect(row.ts).toBe('2030-03-04 09:00:00.750')
    expect(row.received_at).toBe('2030-03-04 09:00:02.250')
    expect(row.client_ts).toBe('2030-03-04 09:00:00.000')
    expect(row.sent_at).toBe('2030-03-04 09:00:01.500')
    expect(toEventRow(sampleEvent({ sent_at: undefined })).sent_at).toBeNull()
  })

  it('derives person id, referrer host, utm and path', () => {
    const anon = toEventRow(sampleEvent())
    expect(anon.person_id).toBe('anon-1')
    expect(toEventRow(sampleEvent({ user_id: 'u-9' })).person_id).toBe('u-9')
    expect(anon.referrer_host).toBe('google.com')
    expect([anon.utm_source, anon.utm_medium, anon.utm_campaign, anon.utm_term, anon.utm_content]).toEqual([
      'newsletter',
      'email',
      'spring',
      'shoes',
      'hero',
    ])
    const fromUrl = toEventRow(
      sampleEvent({
        context: { page: { url: 'https://x.io/a/b?utm_source=ads&utm_campaign=c1', referrer: 'not a url' } },
      }),
    )
    expect([fromUrl.utm_source, fromUrl.utm_campaign, fromUrl.utm_medium]).toEqual(['ads', 'c1', ''])
    expect(fromUrl.page_path).toBe('/a/b')
    expect(fromUrl.referrer_host).toBe('')
    expect(fromUrl.screen_width).toBe(0)
  })

  it('flattens geo, device, bot and edge, and defaults what is missing', () => {
    const row = toEventRow(sampleEvent())
    expect(row).toMatchObject({
      geo_country: 'DE',
      geo_latitude: 52.52,
      geo_asn: 3320,
      browser: 'Firefox',
      device_type: 'desktop',
      is_bot: true,
      bot_score: 0.9,
      bot_reasons: ['headless', 'datacenter_asn'],
      edge_colo: 'FRA',
      ip: '',
      retention_days: DEFAULT_RETENTION_DAYS,
    })
    const bare = toEventRow(
      sampleEvent({
        geo: undefined,
        device: undefined,
        bot: undefined,
        edge: undefined,
        user_agent: undefined,
        context: {},
      }),
      { retentionDays: 30 },
    )
    expect(bare).toMatchObject({
      geo_country: '',
      geo_latitude: null,
      is_bot: false,
      bot_reasons: [],
      retention_days: 30,
    })
    expect(bare.page_url).toBe('')
  })

  it('clamps screen sizes to the column range', () => {
    const row = toEventRow(sampleEvent({ context: { screen: { width: 1e9, height: -5 } } }))
    expect([row.screen_width, row.screen_height]).toEqual([65_535, 0])
  })

  it('refuses a timestamp it cannot read', () => {
    expect(() => toClickHouseTime('yesterday')).toThrow(RangeError)
    expect(referrerHost(undefined)).toBe('')
  })

  it('stores rejected payloads as text', () => {
    const row = toRejectedRow({
      site_id: 's',
      received_at: '2025-01-01T00:00:00Z',
      stage: 'bridge',
      code: 'invalid_event',
      message: 'bad',
      payload: { a: 1 },
    })
    expect(row).toEqual({
      site_id: 's',
      received_at: '2025-01-01 00:00:00.000',
      stage: 'bridge',
      code: 'invalid_event',
      message: 'bad',
      message_id: '',
      ingest_path: '',
      payload: '{"a":1}',
    })
  })
})
