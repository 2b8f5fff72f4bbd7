import { type EnrichedEvent, type InboundEvent, stampEvent } from '@sightline/contracts'
import { createGenerator } from '@sightline/testing'
import { type EventRow, toEventRow } from '@sightline/warehouse'

/**
 * Generated traffic plus hand-made edge cases for the web metrics, over a Europe/Berlin DST
 * change (2024-03-31 02:00 CET → 03:00 CEST, i.e. 01:00Z). The range under test is that local
 * day, 23 hours long: [2024-03-31T00:00+01:00, 2024-04-01T00:00+02:00); its previous period
 * is the 23 hours before.
 */
// site_a so the test keys reach it; the database holds nothing else.
export const WEB_SITE = 'site_a'
export const WEB_FROM = '2024-03-31T00:00:00+01:00'
export const WEB_TO = '2024-04-01T00:00:00+02:00'

const generator = createGenerator({
  seed: 'web-metrics',
  sites: [WEB_SITE],
  visitors: 300,
  start: new Date('2024-03-29T20:00:00Z'),
  spanMs: 60 * 3_600_000,
  botShare: 0.15,
})
const HOST = generator.hostOf(WEB_SITE)

let counter = 0
function page(device: string, at: string, path: string, options: { utm?: string[]; referrer?: string } = {}) {
  const [source, medium, name] = options.utm ?? []
  const event: InboundEvent = {
    type: 'page',
    message_id: `edge-${String(counter++).padStart(4, '0')}`,
    anonymous_id: device,
    timestamp: at,
    properties: {},
    context: { page: { url: `https://${HOST}${path}`, path, referrer: options.referrer ?? '' } },
  }
  if (source !== undefined) event.context!.campaign = { source, medium, name }
  return event
}
const utm = (...values: string[]) => ({ utm: values })
const from = (referrer: string) => ({ referrer })

/** Each case names the rule it exercises; the reference must agree on all of them. */
function edgeCases(): InboundEvent[] {
  return [
    // Exactly 30:00 continues a visit; 30:00.001 starts a new one.
    page('dev-gap', '2024-03-31T08:00:00.000Z', '/a'),
    page('dev-gap', '2024-03-31T08:30:00.000Z', '/b'),
    page('dev-gap', '2024-03-31T09:00:00.001Z', '/c'),
    // UTM change mid-visit: a new visit; the same UTM again or none continues it. Mixed case.
    page('dev-utm', '2024-03-31T10:00:00.000Z', '/', utm('Google', 'CPC', 'spring')),
    page('dev-utm', '2024-03-31T10:05:00.000Z', '/pricing'),
    page('dev-utm', '2024-03-31T10:10:00.000Z', '/', utm('newsletter', 'email', 'spring')),
    page('dev-utm', '2024-03-31T10:12:00.000Z', '/', utm('newsletter', 'email', 'spring')),
    page('dev-utm', '2024-03-31T10:15:00.000Z', '/docs'),
    // Direct, then a campaign link: the campaign starts a visit (paid social).
    page('dev-campaign', '2024-03-31T12:00:00.000Z', '/'),
    page('dev-campaign', '2024-03-31T12:03:00.000Z', '/launch', utm('facebook', 'paid', 'launch')),
    // Across UTC midnight and the DST jump (01:35 CET → 03:05 CEST is 30 minutes): one visit.
    page('dev-night', '2024-03-30T23:50:00.000Z', '/late'),
    page('dev-night', '2024-03-31T00:10:00.000Z', '/later'),
    page('dev-night', '2024-03-31T00:35:00.000Z', '/dst-before'),
    page('dev-night', '2024-03-31T01:05:00.000Z', '/dst-after'),
    // A visit that starts after a long idle on an internal link: a self-referral is direct.
    page('dev-self', '2024-03-31T14:00:00.000Z', '/next', from(`https://${HOST}/prev`)),
    page('dev-video', '2024-03-31T15:00:00.000Z', '/watch', from('https://m.youtube.com/watch?v=1')),
    page('dev-sub', '2024-03-31T15:00:00.000Z', '/q', from('https://news.google.com/')),
    // Two events at the same instant: ordered by message id, the same way every run.
    page('dev-tie', '2024-03-31T16:00:00.000Z', '/first'),
    page('dev-tie', '2024-03-31T16:00:00.000Z', '/second'),
    // Straddling `from`: the part before it belongs to the previous period only.
    page('dev-edge', '2024-03-30T22:55:00.000Z', '/before'),
    page('dev-edge', '2024-03-30T23:05:00.000Z', '/after'),
    // A server-side group call: no anonymous id, no user id. An event, but nobody's visit.
    {
      type: 'group',
      message_id: 'edge-group',
      anonymous_id: '',
      group_id: 'acme',
      timestamp: '2024-03-31T11:00:00.000Z',
      properties: {},
      traits: { name: 'Acme' },
    } as unknown as InboundEvent,
  ]
}

function enrich(e: InboundEvent): EnrichedEvent {
  const stamped = stampEvent(e, { siteId: WEB_SITE, receivedAt: e.timestamp!, ingestPath: 'native' })
  const bot = generator.isBot(e)
  // Enrichment is another package's concern; a stable stand-in gives the breakdowns values.
  const ua = e.context?.userAgent ?? ''
  const h = [...stamped.anonymous_id].reduce((n, c) => (n * 31 + c.charCodeAt(0)) >>> 0, 7)
  return {
    ...stamped,
    bot: { is_bot: bot, score: bot ? 1 : 0, reasons: bot ? ['ua_crawler'] : [] },
    geo: {
      country: ['DE', 'US', 'FR', 'JP', 'BR', ''][h % 6]!,
      region: ['BY', 'CA', 'IDF', '13', 'SP', ''][h % 6]!,
      // Two cities per region, so region and city break down differently.
      city: [
        ['Munich', 'Nuremberg'],
        ['San Jose', 'Oakland'],
        ['Paris', 'Versailles'],
        ['Tokyo', 'Hachioji'],
        ['São Paulo', 'Campinas'],
        ['', ''],
      ][h % 6]![(h >> 3) % 2]!,
    },
    device: {
      browser: /Firefox/.test(ua)
        ? 'Firefox'
        : /Edg/.test(ua)
          ? 'Edge'
          : /Chrome/.test(ua)
            ? 'Chrome'
            : /Safari/.test(ua)
              ? 'Safari'
              : '',
      os: /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS/.test(ua)
          ? 'macOS'
          : /Android/.test(ua)
            ? 'Android'
            : /Linux/.test(ua)
              ? 'Linux'
              : '',
      device_type: /Mobile/.test(ua) ? 'mobile' : ua === '' ? '' : 'desktop',
    },
  }
}

/** Loaded as two blocks: the generated traffic (inserted twice, as a retried write) and the edge cases. */
export function webBlocks(): { generated: EventRow[]; edges: EventRow[] } {
  const toRow = (e: InboundEvent) => toEventRow(enrich(e), { retentionDays: 10_000 })
  return { generated: generator.events(6_000).map(toRow), edges: edgeCases().map(toRow) }
}
