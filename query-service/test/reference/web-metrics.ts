import type { EventRow } from '@sightline/warehouse'
import search from '../../src/insights/channels/search-engines.json' with { type: 'json' }
import social from '../../src/insights/channels/social-networks.json' with { type: 'json' }
import video from '../../src/insights/channels/video-sites.json' with { type: 'json' }

/**
 * The web metrics of docs/metrics.md computed in plain TypeScript, one loop per definition,
 * with no SQL and nothing shared with the planner except the site lists (which are data).
 * Tests compare every number the warehouse returns with these.
 */

const THIRTY_MINUTES = 30 * 60 * 1000

export interface RefVisit {
  anonymous_id: string
  started: number
  ended: number
  events: number
  pageviews: number
  entry_page: string
  exit_page: string
  referrer_host: string
  source: string
  medium: string
  campaign: string
  channel: string
}

export interface RefStats {
  events: number
  pageviews: number
  visitors: number
  visits: number
  views_per_visit: number
  bounce_rate: number
  visit_duration_s: number
}

/** ClickHouse stores DateTime64 text as `YYYY-MM-DD hh:mm:ss.sss` in UTC. */
export function msOf(row: EventRow): number {
  return Date.parse(`${row.ts.replace(' ', 'T')}Z`)
}

export function inRange(
  rows: EventRow[],
  site: string,
  from: Date,
  to: Date,
  includeBots = false,
): EventRow[] {
  return rows.filter(
    (r) =>
      r.site_id === site && msOf(r) >= from.getTime() && msOf(r) < to.getTime() && (includeBots || !r.is_bot),
  )
}

function host(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase().replace(/^www\./, '')
  } catch {
    return ''
  }
}

function listed(list: { hosts: string[]; sources: string[] }, source: string, referrer: string): boolean {
  if (list.sources.includes(source)) return true
  return referrer !== '' && list.hosts.some((h) => referrer === h || referrer.endsWith(`.${h}`))
}

/** The channel definitions of docs/metrics.md, written out as branches. */
export function channelOf(sourceIn: string, mediumIn: string, referrer: string): string {
  const source = sourceIn.toLowerCase()
  const medium = mediumIn.toLowerCase()
  const noSource = source === '' && medium === ''
  const paid = ['cpc', 'ppc', 'paid'].includes(medium)
  if (noSource && referrer === '') return 'direct'
  if (
    (paid || ['paidsearch', 'paid-search', 'paid_search', 'sem'].includes(medium)) &&
    listed(search, source, referrer)
  )
    return 'paid search'
  if (
    (paid || ['paidsocial', 'paid-social', 'paid_social', 'social-paid', 'cpm'].includes(medium)) &&
    listed(social, source, referrer)
  )
    return 'paid social'
  if (['display', 'banner', 'cpm', 'expandable', 'interstitial'].includes(medium)) return 'display'
  if (['affiliate', 'affiliates', 'partner'].includes(medium)) return 'affiliate'
  const mail = ['email', 'e-mail', 'e_mail', 'newsletter', 'mail']
  if (mail.includes(medium) || mail.includes(source)) return 'email'
  if (medium.includes('video') || listed(video, source, referrer)) return 'video'
  if (medium === 'organic' || listed(search, source, referrer)) return 'organic search'
  if (
    ['social', 'social-network', 'social-media', 'sm', 'social network', 'social media'].includes(medium) ||
    listed(social, source, referrer)
  )
    return 'organic social'
  if (['referral', 'link'].includes(medium) || (noSource && referrer !== '')) return 'referral'
  return 'other'
}

/** Visits by the definition: per device, in time order, split by > 30 min idle or a new UTM source/campaign. */
export function visitsOf(rows: EventRow[]): RefVisit[] {
  return splitVisits(rows).map((events) => summarize(events[0]!.anonymous_id, events))
}

/** The events of each visit, in order. */
export function splitVisits(rows: EventRow[]): EventRow[][] {
  const byDevice = new Map<string, EventRow[]>()
  for (const r of rows) {
    if (r.anonymous_id === '') continue
    const list = byDevice.get(r.anonymous_id) ?? []
    list.push(r)
    byDevice.set(r.anonymous_id, list)
  }
  const visits: EventRow[][] = []
  for (const events of byDevice.values()) {
    events.sort(
      (a, b) => msOf(a) - msOf(b) || (a.message_id < b.message_id ? -1 : a.message_id > b.message_id ? 1 : 0),
    )
    let current: EventRow[] = []
    let campaign = ''
    let last = Number.NEGATIVE_INFINITY
    for (const e of events) {
      const pair =
        e.utm_source === '' && e.utm_campaign === '' ? '' : `${e.utm_source}\u0000${e.utm_campaign}`
      const idle = msOf(e) - last > THIRTY_MINUTES
      const newCampaign = pair !== '' && pair !== campaign
      if (current.length > 0 && (idle || newCampaign)) {
        visits.push(current)
        current = []
      }
      if (idle) campaign = ''
      if (pair !== '') campaign = pair
      current.push(e)
      last = msOf(e)
    }
    if (current.length > 0) visits.push(current)
  }
  return visits
}

export function summarize(device: string, events: EventRow[]): RefVisit {
  const first = events[0]!
  const pages = events.filter((e) => e.type === 'page')
  const referrer = first.referrer_host === host(first.page_url) ? '' : first.referrer_host
  return {
    anonymous_id: device,
    started: msOf(first),
    ended: msOf(events[events.length - 1]!),
    events: events.length,
    pageviews: pages.length,
    entry_page: pages[0]?.page_path ?? '',
    exit_page: pages[pages.length - 1]?.page_path ?? '',
    referrer_host: referrer,
    source: first.utm_source,
    medium: first.utm_medium,
    campaign: first.utm_campaign,
    channel: channelOf(first.utm_source, first.utm_medium, referrer),
  }
}

/** `personOf`: who a row's person is — the stored id unless a test resolves identity merges (reference/persons.ts). */
export function statsOf(
  rows: EventRow[],
  personOf: (row: EventRow) => string = (row) => row.person_id,
): RefStats {
  const visits = visitsOf(rows)
  const persons = new Set(rows.map(personOf).filter((p) => p !== ''))
  const visitPageviews = visits.reduce((n, v) => n + v.pageviews, 0)
  const n = visits.length
  return {
    events: rows.length,
    pageviews: rows.filter((r) => r.type === 'page').length,
    visitors: persons.size,
    visits: n,
    views_per_visit: n === 0 ? 0 : visitPageviews / n,
    bounce_rate: n === 0 ? 0 : visits.filter((v) => v.pageviews === 1).length / n,
    visit_duration_s: n === 0 ? 0 : visits.reduce((s, v) => s + (v.ended - v.started), 0) / n / 1000,
  }
}
