import { type InboundEvent, stampEvent } from '@sightline/contracts'
import { createGenerator, Rng } from '@sightline/testing'
import { type EventRow, toEventRow } from '@sightline/warehouse'
import { journal } from './journeys.ts'

/**
 * Generated journeys for paths and attribution, checked against the plain-TypeScript
 * references: shoppers on one to three devices over ~10 weeks, entering through varied
 * channels and campaigns, browsing a small set of pages and buying (`purchase`, with a
 * revenue that is a number, a numeric string, text or missing). Identified shoppers carry
 * their user id on later events of every device after an `identify` (earlier events of a
 * device are anonymous); some buy server-side (no device). Bot devices browse and buy too.
 * Same-millisecond events and exactly-30-minute gaps occur on purpose. The generator's own
 * traffic (bots included) is mixed in. Range under test: March 2024 (Europe's DST change is
 * on the 31st); a 30-day lookback reaches back to 31 January.
 */
export const JOURNEY_SITE = 'site_a'
export const JOURNEY_FROM = '2024-03-01T00:00:00Z'
export const JOURNEY_TO = '2024-04-01T00:00:00Z'

const PAGES = ['/', '/pricing', '/docs', '/blog', '/signup', '/checkout', '/docs/api']
type Entry = { referrer?: string; utm?: [string, string, string?] }
const ENTRIES: Entry[] = [
  {},
  {},
  { referrer: 'https://www.google.com/' },
  { referrer: 'https://www.bing.com/search' },
  { referrer: 'https://www.facebook.com/' },
  { referrer: 'https://news.ycombinator.com/' },
  { utm: ['newsletter', 'email', 'march'] },
  { utm: ['google', 'cpc', 'brand'] },
  { utm: ['google', 'cpc', 'spring'] },
  { utm: ['facebook', 'paid', 'spring'] },
  { utm: ['partner-site', 'affiliate', 'spring'] },
]
const MINUTE = 60_000
const DAY = 86_400_000

export function journeyBlocks(): { generated: EventRow[]; shoppers: EventRow[] } {
  const rng = new Rng('paths-attribution')
  const j = journal(JOURNEY_SITE)
  const start = Date.parse('2024-01-25T00:00:00Z')
  const span = Date.parse('2024-04-02T00:00:00Z') - start
  const iso = (ms: number) => new Date(ms).toISOString()
  const revenue = (): Record<string, unknown> => {
    const r = rng.next()
    if (r < 0.6) return { revenue: Math.round(rng.next() * 20_000) / 100 }
    if (r < 0.75) return { revenue: String(rng.int(300)) }
    if (r < 0.85) return { revenue: 'free' }
    return {}
  }
  for (let i = 0; i < 220; i++) {
    const bot = i >= 205
    const identified = !bot && rng.chance(0.6)
    const user = identified ? `user-${i}` : undefined
    const devices = Array.from({ length: identified ? 1 + rng.int(3) : 1 }, (_, k) => `s${i}-d${k}`)
    const loggedIn = new Set<string>()
    const visits = 1 + rng.int(bot ? 12 : 7)
    for (let v = 0; v < visits; v++) {
      const device = devices[rng.int(devices.length)]!
      let t = start + Math.floor(rng.next() * span)
      const entry = ENTRIES[rng.int(ENTRIES.length)]!
      const views = 1 + rng.int(6)
      for (let p = 0; p < views; p++) {
        const who = { device, at: iso(t), bot, ...(loggedIn.has(device) && user ? { user } : {}) }
        const path = PAGES[rng.int(PAGES.length)]!
        j.page({ ...who, path, ...(p === 0 ? entry : {}) })
        // Reloads make repeated steps for collapse_repeats.
        if (rng.chance(0.15)) j.page({ ...who, at: iso(t + 1 + rng.int(3000)), path })
        if (user && !loggedIn.has(device) && rng.chance(0.4)) {
          loggedIn.add(device)
          j.identify({ device, user, at: iso(t + 5000), bot })
        }
        if (rng.chance(0.12)) {
          const sameMs = rng.chance(0.3)
          const at = iso(sameMs ? t : t + 10_000)
          j.track({ ...who, at, event: 'purchase', properties: revenue() })
        }
        // Exactly 30 minutes continues the visit; a little more starts a new one.
        const gap = rng.chance(0.05)
          ? 30 * MINUTE
          : rng.chance(0.05)
            ? 30 * MINUTE + 1
            : 10_000 + rng.int(8 * MINUTE)
        t += gap
      }
    }
    if (user && rng.chance(0.2)) {
      j.track({
        device: '',
        user,
        at: iso(start + Math.floor(rng.next() * span)),
        event: 'purchase',
        properties: revenue(),
      })
    }
  }
  // A person converting twice on one day keeps two conversions, each with its own window.
  j.page({
    device: 'twice',
    at: '2024-03-10T10:00:00.000Z',
    path: '/',
    utm: ['newsletter', 'email', 'march'],
  })
  j.track({ device: 'twice', at: '2024-03-10T10:01:00.000Z', event: 'purchase', properties: { revenue: 5 } })
  j.track({ device: 'twice', at: '2024-03-10T10:02:00.000Z', event: 'purchase', properties: { revenue: 6 } })
  const generator = createGenerator({
    seed: 'paths-attribution',
    sites: [JOURNEY_SITE],
    visitors: 200,
    start: new Date('2024-03-20T00:00:00Z'),
    spanMs: 4 * DAY,
    botShare: 0.15,
  })
  return { generated: generatedRows(generator.events(3000)), shoppers: j.rows() }
}

/** Bot verdicts as the edge would give them (by user agent); enrichment is another package's concern. */
function generatedRows(events: InboundEvent[]): EventRow[] {
  const gen = createGenerator({ seed: 'paths-attribution-bots', sites: [JOURNEY_SITE] })
  return events.map((e) => {
    const stamped = stampEvent(e, { siteId: JOURNEY_SITE, receivedAt: e.timestamp!, ingestPath: 'native' })
    const bot = gen.isBot(e)
    return toEventRow(
      { ...stamped, bot: { is_bot: bot, score: bot ? 1 : 0, reasons: bot ? ['ua_crawler'] : [] } },
      { retentionDays: 10_000 },
    )
  })
}
