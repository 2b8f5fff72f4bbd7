import type { EnrichedEvent } from '@sightline/contracts'

/** A site keeps raw events about 13 months unless its config says otherwise. */
export const DEFAULT_RETENTION_DAYS = 395

/**
 * `YYYY-MM-DD hh:mm:ss.sss` in UTC: the one DateTime64 text form ClickHouse parses under the
 * server default `date_time_input_format=basic` as well as chdb's `best_effort`, so inserts
 * need no per-insert setting (chdb would leak it into the session).
 */
const CANONICAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

export function toClickHouseTime(value: string | number | Date): string {
  // Hot path: the pipeline stamps times with toISOString(), so most values only need
  // re-punctuating (parsing and formatting a Date per field showed up in profiles).
  if (typeof value === 'string' && CANONICAL_ISO.test(value))
    return `${value.slice(0, 10)} ${value.slice(11, 23)}`
  const date = value instanceof Date ? value : new Date(value)
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a timestamp: ${String(value)}`)
  return date.toISOString().replace('T', ' ').replace('Z', '')
}

/** One `events` row; field names are the column names (JSONEachRow). */
export interface EventRow {
  site_id: string
  ts: string
  received_at: string
  client_ts: string
  sent_at: string | null
  clock_skewed: boolean
  type: string
  event: string
  message_id: string
  anonymous_id: string
  user_id: string
  person_id: string
  group_id: string
  previous_id: string
  properties: Record<string, unknown>
  traits: Record<string, unknown>
  page_url: string
  page_path: string
  page_referrer: string
  referrer_host: string
  page_title: string
  utm_source: string
  utm_medium: string
  utm_campaign: string
  utm_term: string
  utm_content: string
  screen_width: number
  screen_height: number
  locale: string
  timezone: string
  library_name: string
  library_version: string
  geo_country: string
  geo_region: string
  geo_city: string
  geo_timezone: string
  geo_continent: string
  geo_latitude: number | null
  geo_longitude: number | null
  geo_asn: number
  geo_as_org: string
  browser: string
  browser_version: string
  os: string
  os_version: string
  device_type: string
  device_vendor: string
  device_model: string
  is_bot: boolean
  bot_score: number
  bot_reasons: string[]
  edge_colo: string
  edge_region: string
  ingest_path: string
  ip: string
  user_agent: string
  retention_days: number
}

export interface EventRowOptions {
  retentionDays?: number
}

function parseUrl(value: string | undefined): URL | undefined {
  if (!value) return undefined
  try {
    return new URL(value)
  } catch {
    return undefined
  }
}

/** Hosts are compared without `www.` so `www.google.com` and `google.com` group together. */
export function referrerHost(referrer: string | undefined): string {
  const url = parseUrl(referrer)
  if (!url) return ''
  return url.hostname.toLowerCase().replace(/^www\./, '')
}

function screenSide(value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value)) return 0
  return Math.min(65_535, Math.max(0, Math.round(value)))
}

/**
 * Flattens an enriched event into its row. Pure. UTM values come from context.campaign; a
 * client that only sent the page URL still gets attribution from the URL's utm_* parameters.
 */
export function toEventRow(e: EnrichedEvent, options: EventRowOptions = {}): EventRow {
  const page = e.context.page ?? {}
  const campaign = e.context.campaign ?? {}
  const pageUrl = parseUrl(page.url)
  const utm = (key: string, given: string | undefined): string =>
    given ?? pageUrl?.searchParams.get(`utm_${key}`) ?? ''
  const geo = e.geo ?? {}
  const device = e.device ?? {}
  return {
    site_id: e.site_id,
    ts: toClickHouseTime(e.ts),
    received_at: toClickHouseTime(e.received_at),
    client_ts: toClickHouseTime(e.timestamp),
    sent_at: e.sent_at ? toClickHouseTime(e.sent_at) : null,
    clock_skewed: e.clock_skewed,
    type: e.type,
    event: e.event,
    message_id: e.message_id,
    anonymous_id: e.anonymous_id,
    user_id: e.user_id,
    person_id: e.user_id !== '' ? e.user_id : e.anonymous_id,
    group_id: e.group_id ?? '',
    previous_id: e.previous_id ?? '',
    properties: e.properties,
    traits: e.traits,
    page_url: page.url ?? '',
    page_path: page.path ?? pageUrl?.pathname ?? '',
    page_referrer: page.referrer ?? '',
    referrer_host: referrerHost(page.referrer),
    page_title: page.title ?? '',
    utm_source: utm('source', campaign.source),
    utm_medium: utm('medium', campaign.medium),
    utm_campaign: utm('campaign', campaign.name),
    utm_term: utm('term', campaign.term),
    utm_content: utm('content', campaign.content),
    screen_width: screenSide(e.context.screen?.width),
    screen_height: screenSide(e.context.screen?.height),
    locale: e.context.locale ?? '',
    timezone: e.context.timezone ?? '',
    library_name: e.context.library?.name ?? '',
    library_version: e.context.library?.version ?? '',
    geo_country: geo.country ?? '',
    geo_region: geo.region ?? '',
    geo_city: geo.city ?? '',
    geo_timezone: geo.timezone ?? '',
    geo_continent: geo.continent ?? '',
    geo_latitude: geo.latitude ?? null,
    geo_longitude: geo.longitude ?? null,
    geo_asn: geo.asn ?? 0,
    geo_as_org: geo.as_org ?? '',
    browser: device.browser ?? '',
    browser_version: device.browser_version ?? '',
    os: device.os ?? '',
    os_version: device.os_version ?? '',
    device_type: device.device_type ?? '',
    device_vendor: device.device_vendor ?? '',
    device_model: device.device_model ?? '',
    is_bot: e.bot?.is_bot ?? false,
    bot_score: e.bot?.score ?? 0,
    bot_reasons: e.bot?.reasons ?? [],
    edge_colo: e.edge?.colo ?? '',
    edge_region: e.edge?.region ?? '',
    ingest_path: e.ingest_path,
    ip: e.ip ?? '',
    user_agent: e.user_agent ?? e.context.userAgent ?? '',
    retention_days: options.retentionDays ?? DEFAULT_RETENTION_DAYS,
  }
}
