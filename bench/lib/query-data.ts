import type { Warehouse } from '@sightline/warehouse'

/**
 * Loads N synthetic events straight into a warehouse with one INSERT … SELECT over
 * numbers(), so 10M rows take seconds rather than the hours the edge would. Shape, so the
 * queries have real work: 9 in 10 rows are site `bench` (the rest `noise`, another tenant);
 * events come in visits of 8 (one every minute) at a random instant of the 30 days before
 * `end`; each device (~5 visits) has a country/region/city, browser, OS and device type,
 * 1 in 20 devices is a bot; 6 of 8 events are page views over 40 paths, the first of a visit
 * carries its referrer or UTM source; checkouts carry a plan and an amount; a signed-in
 * device's signups carry a `plan` trait (free, pro or team, one per device).
 */
export async function loadSyntheticEvents(warehouse: Warehouse, events: number, end: Date): Promise<void> {
  const spanMs = 30 * 86_400_000
  const devices = Math.max(1, Math.floor(events / 40))
  await warehouse.command({
    name: 'bench.load',
    sql: `INSERT INTO events (site_id, ts, received_at, client_ts, type, event, message_id, anonymous_id, user_id,
  properties, traits, page_url, page_path, referrer_host, utm_source, utm_medium, utm_campaign,
  geo_country, geo_region, geo_city, browser, os, device_type, is_bot, retention_days)
SELECT
  if(number % 10 = 9, 'noise', 'bench') AS site_id,
  fromUnixTimestamp64Milli(toInt64({end_ms:Int64} - {span_ms:Int64} + (cityHash64(visit) % {span_ms:Int64}) + step * 60000), 'UTC') AS ts,
  ts AS received_at,
  ts AS client_ts,
  if(step < 6, 'page', 'track') AS type,
  if(step < 6, '$pageview', ['signup', 'checkout', 'video_played'][1 + cityHash64(number, 1) % 3]) AS event,
  toString(number) AS message_id,
  concat('d', toString(device)) AS anonymous_id,
  if(cityHash64(device, 2) % 5 = 0, concat('u', toString(device)), '') AS user_id,
  if(event = 'checkout',
     concat('{"plan":"', ['free', 'pro', 'team'][1 + cityHash64(number, 3) % 3], '","amount":', toString(cityHash64(number, 4) % 1000), '}'),
     '{}') AS properties,
  if(event = 'signup' AND user_id != '', concat('{"plan":"', ['free', 'pro', 'team'][1 + cityHash64(device, 14) % 3], '"}'), '{}') AS traits,
  concat('https://bench.example', page_path) AS page_url,
  if(cityHash64(number, 5) % 4 = 0, '/', concat('/p/', toString(cityHash64(number, 5) % 40))) AS page_path,
  if(step = 0, ['', '', 'google.com', 'news.ycombinator.com', 'facebook.com', 't.co'][1 + cityHash64(visit, 6) % 6], '') AS referrer_host,
  if(step = 0 AND campaign > 0, ['newsletter', 'google', 'facebook'][campaign], '') AS utm_source,
  if(step = 0 AND campaign > 0, ['email', 'cpc', 'paid'][campaign], '') AS utm_medium,
  if(step = 0 AND campaign > 0, 'spring', '') AS utm_campaign,
  ['DE', 'US', 'FR', 'JP', 'BR', 'GB', 'IN', ''][1 + place] AS geo_country,
  ['BY', 'CA', 'IDF', '13', 'SP', 'ENG', 'MH', ''][1 + place] AS geo_region,
  ['Munich', 'San Jose', 'Paris', 'Tokyo', 'São Paulo', 'London', 'Mumbai', ''][1 + place] AS geo_city,
  ['Chrome', 'Safari', 'Firefox', 'Edge'][1 + cityHash64(device, 7) % 4] AS browser,
  ['Windows', 'macOS', 'Android', 'iOS', 'Linux'][1 + cityHash64(device, 8) % 5] AS os,
  ['desktop', 'mobile', 'tablet'][1 + cityHash64(device, 9) % 3] AS device_type,
  cityHash64(device, 10) % 20 = 0 AS is_bot,
  10000 AS retention_days
FROM (
  SELECT
    number,
    intDiv(number, 8) AS visit,
    number % 8 AS step,
    cityHash64(visit, 11) % {devices:UInt64} AS device,
    toUInt8(cityHash64(visit, 12) % 6) AS campaign,
    cityHash64(device, 13) % 8 AS place
  FROM numbers({events:UInt64})
)`,
    params: { end_ms: end.getTime(), span_ms: spanMs, events, devices },
  })
}
