// The demo site's traffic: a small online shop's last N days, made up from a seed. Pure and
// deterministic (same seed, end and size → the same sessions), so a test can recompute every
// number the dashboard shows from the same list. Product code: nothing here comes from the
// test kit (@sightline/testing), whose generator serves the test suites.
import type { InboundEvent } from '@sightline/contracts'

/** One browser's request: what the edge would receive from it, and when. */
export interface DemoRequest {
  /** When the edge receives it (epoch ms). */
  at: number
  headers: Record<string, string>
  body: { batch: unknown[]; sent_at: string }
  /** A crawler or script (its User-Agent says so); the edge should label it a bot. */
  bot: boolean
}

export interface DemoTrafficOptions {
  seed: number
  /** The last moment of traffic (epoch ms); the window is [end − days, end]. */
  end: number
  days: number
  /** Human visits on an average weekday at the start of the window (it grows ~40% over it). */
  visitsPerDay: number
}

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

/** mulberry32: small, fast, good enough to make traffic look unplanned. */
function rng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const pick = <T>(items: readonly (readonly [T, number])[]): T => {
    const total = items.reduce((s, [, w]) => s + w, 0)
    let r = next() * total
    for (const [item, w] of items) {
      r -= w
      if (r < 0) return item
    }
    return items[items.length - 1]![0]
  }
  return { next, pick, chance: (p: number) => next() < p, int: (n: number) => Math.floor(next() * n) }
}
type Rng = ReturnType<typeof rng>

// Addresses DB-IP Lite places in each country (the bridge geolocates them; the edge
// truncates them first and none is stored). Weighted roughly like a European shop's audience.
const COUNTRIES: ReadonlyArray<readonly [{ ips: string[]; lang: string }, number]> = [
  [{ ips: ['212.65.16.10', '53.126.184.130', '99.203.120.140'], lang: 'de-DE,de;q=0.9,en;q=0.6' }, 24],
  [{ ips: ['8.8.8.8', '4.2.2.2'], lang: 'en-US,en;q=0.9' }, 22],
  [{ ips: ['31.49.56.130', '86.171.144.4'], lang: 'en-GB,en;q=0.9' }, 12],
  [{ ips: ['57.43.200.130', '90.3.18.160'], lang: 'fr-FR,fr;q=0.9,en;q=0.5' }, 9],
  [{ ips: ['62.250.8.130', '145.125.140.192'], lang: 'nl-NL,nl;q=0.9,en;q=0.7' }, 6],
  [{ ips: ['95.164.15.48', '146.219.188.196'], lang: 'es-ES,es;q=0.9' }, 5],
  [{ ips: ['78.88.184.130', '83.20.16.10'], lang: 'pl-PL,pl;q=0.9,en;q=0.5' }, 4],
  [{ ips: ['164.4.24.130', '86.113.47.64'], lang: 'sv-SE,sv;q=0.9,en;q=0.7' }, 3],
  [{ ips: ['9.238.133.10', '207.61.52.64'], lang: 'en-CA,en;q=0.9,fr;q=0.5' }, 4],
  [{ ips: ['45.118.20.64', '103.94.56.130'], lang: 'en-IN,en;q=0.9,hi;q=0.6' }, 5],
  [{ ips: ['200.237.16.10', '189.20.220.192'], lang: 'pt-BR,pt;q=0.9' }, 3],
  [{ ips: ['1.154.244.96', '202.139.16.10'], lang: 'en-AU,en;q=0.9' }, 3],
]

const BROWSERS: ReadonlyArray<readonly [{ ua: string; screen: [number, number] }, number]> = [
  [
    {
      ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
      screen: [1920, 1080],
    },
    30,
  ],
  [
    {
      ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.1 Safari/605.1.15',
      screen: [1512, 982],
    },
    12,
  ],
  [
    {
      ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
      screen: [1728, 1117],
    },
    10,
  ],
  [
    {
      ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:145.0) Gecko/20100101 Firefox/145.0',
      screen: [1920, 1080],
    },
    7,
  ],
  [
    {
      ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36 Edg/142.0.0.0',
      screen: [1536, 864],
    },
    6,
  ],
  [
    {
      ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 26_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.1 Mobile/15E148 Safari/604.1',
      screen: [393, 852],
    },
    20,
  ],
  [
    {
      ua: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Mobile Safari/537.36',
      screen: [412, 915],
    },
    13,
  ],
  [
    {
      ua: 'Mozilla/5.0 (iPad; CPU OS 26_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.1 Mobile/15E148 Safari/604.1',
      screen: [820, 1180],
    },
    2,
  ],
]

/** Crawlers and scripts whose User-Agent names them: the edge's verdict must call them bots. */
const BOTS: ReadonlyArray<readonly [string, number]> = [
  ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 4],
  ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 2],
  ['python-requests/2.32.3', 2],
  [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/142.0.0.0 Safari/537.36',
    1,
  ],
]

interface Entry {
  referrer: string
  utm?: { source: string; medium: string; name: string }
  landing: string
}
const SOURCES: ReadonlyArray<readonly [Entry, number]> = [
  [{ referrer: '', landing: '/' }, 26],
  [{ referrer: 'https://www.google.com/', landing: '/' }, 18],
  [{ referrer: 'https://www.google.com/', landing: '/products/trail-runner' }, 8],
  [{ referrer: 'https://duckduckgo.com/', landing: '/' }, 4],
  [{ referrer: 'https://www.bing.com/', landing: '/products/rain-jacket' }, 3],
  [{ referrer: 'https://news.ycombinator.com/', landing: '/blog/how-we-make-shoes' }, 6],
  [{ referrer: 'https://www.reddit.com/r/running/', landing: '/products/trail-runner' }, 5],
  [{ referrer: 'https://t.co/', landing: '/products/rain-jacket' }, 3],
  [{ referrer: 'https://www.instagram.com/', landing: '/products/city-sneaker' }, 5],
  [{ referrer: 'https://github.com/', landing: '/blog/how-we-make-shoes' }, 2],
  [
    { referrer: '', utm: { source: 'newsletter', medium: 'email', name: 'autumn-sale' }, landing: '/sale' },
    7,
  ],
  [
    {
      referrer: 'https://www.google.com/',
      utm: { source: 'google', medium: 'cpc', name: 'brand' },
      landing: '/',
    },
    6,
  ],
  [
    {
      referrer: 'https://www.facebook.com/',
      utm: { source: 'facebook', medium: 'paid_social', name: 'autumn-sale' },
      landing: '/sale',
    },
    4,
  ],
]

const TITLES: Record<string, string> = {
  '/': 'Fieldnote Shoes',
  '/sale': 'Autumn sale',
  '/products': 'All products',
  '/products/trail-runner': 'Trail Runner',
  '/products/rain-jacket': 'Rain Jacket',
  '/products/city-sneaker': 'City Sneaker',
  '/blog/how-we-make-shoes': 'How we make shoes',
  '/about': 'About us',
  '/cart': 'Your cart',
  '/checkout': 'Checkout',
  '/signup': 'Create an account',
}
const BROWSE: ReadonlyArray<readonly [string, number]> = [
  ['/products', 10],
  ['/products/trail-runner', 8],
  ['/products/rain-jacket', 6],
  ['/products/city-sneaker', 6],
  ['/sale', 4],
  ['/about', 2],
  ['/blog/how-we-make-shoes', 2],
  ['/', 3],
]
const PRICES: Record<string, number> = {
  '/products/trail-runner': 139,
  '/products/rain-jacket': 189,
  '/products/city-sneaker': 99,
}

export const DEMO_HOST = 'shop.example'

interface Visitor {
  anonymousId: string
  userId?: string
  browser: { ua: string; screen: [number, number] }
  country: { ips: string[]; lang: string }
  ip: string
}

/**
 * Every request of the window, in time order. Human visits follow the hour of day (quiet at
 * night UTC, busiest in the European afternoon), the weekday (weekends ~35% quieter) and a
 * growth trend; visitors return; some sign up (identify, then a user id on every event) and
 * buy. About 6% of requests are crawlers, ~1% of events are re-sent (the writer's dedup must
 * drop them) and a few events a day are malformed (the edge must refuse them).
 */
export function demoTraffic(options: DemoTrafficOptions): DemoRequest[] {
  const r = rng(options.seed)
  const start = options.end - options.days * DAY
  const visitors: Visitor[] = []
  const out: DemoRequest[] = []
  let messages = 0
  const id = (prefix: string) => `${prefix}-${options.seed.toString(36)}-${(messages++).toString(36)}`

  const newVisitor = (): Visitor => {
    const country = r.pick(COUNTRIES)
    return {
      anonymousId: id('anon'),
      browser: r.pick(BROWSERS),
      country,
      ip: country.ips[r.int(country.ips.length)]!,
    }
  }

  for (let day = 0; day < options.days; day++) {
    const dayStart = start + day * DAY
    const weekday = new Date(dayStart).getUTCDay()
    const weekend = weekday === 0 || weekday === 6 ? 0.65 : 1
    const growth = 1 + (0.4 * day) / Math.max(1, options.days - 1)
    const visits = Math.round(options.visitsPerDay * weekend * growth * (0.85 + 0.3 * r.next()))
    for (let i = 0; i < visits; i++) {
      // Returning visitors: a third of visits come back from the pool, the loyal ones most.
      const visitor =
        visitors.length > 0 && r.chance(0.33)
          ? visitors[Math.floor(visitors.length * r.next() ** 2)]!
          : visitors[visitors.push(newVisitor()) - 1]!
      const at = dayStart + diurnal(r)
      if (at > options.end) continue
      out.push(...humanVisit(r, visitor, at, id))
    }
    // Crawlers and scripts: a steady few requests an hour, pages in quick succession.
    const botRuns = Math.round(options.visitsPerDay * 0.06)
    for (let i = 0; i < botRuns; i++) {
      const at = dayStart + r.next() * DAY
      if (at > options.end) continue
      out.push(botVisit(r, at, id))
    }
    // A client with a bug: events the edge must refuse (they land in the rejected table).
    for (let i = 0; i < 3; i++) {
      const at = dayStart + r.next() * DAY
      if (at > options.end) continue
      out.push(malformed(r, at, id))
    }
  }
  return out.sort((a, b) => a.at - b.at)
}

function diurnal(r: Rng): number {
  // By rejection: a cosine peaking at 14:00 UTC, never below 20% of the peak.
  for (;;) {
    const t = r.next() * DAY
    const hour = t / (60 * MINUTE)
    if (r.next() < 0.2 + 0.8 * (0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - 2)) / 24))) return t
  }
}

function browserHeaders(v: Visitor): Record<string, string> {
  return { 'user-agent': v.browser.ua, 'accept-language': v.country.lang, 'x-demo-client-ip': v.ip }
}

function humanVisit(r: Rng, v: Visitor, at: number, id: (p: string) => string): DemoRequest[] {
  const entry = r.pick(SOURCES)
  const events: InboundEvent[] = []
  let t = at
  let path = entry.landing
  const pages = 1 + Math.min(geometric(r, 0.42), 14)
  const ids = () =>
    v.userId ? { anonymous_id: v.anonymousId, user_id: v.userId } : { anonymous_id: v.anonymousId }
  const context = (first: boolean) => {
    const search =
      first && entry.utm
        ? `?utm_source=${entry.utm.source}&utm_medium=${entry.utm.medium}&utm_campaign=${entry.utm.name}`
        : ''
    return {
      page: {
        path,
        url: `https://${DEMO_HOST}${path}${search}`,
        referrer: first ? entry.referrer : `https://${DEMO_HOST}/`,
        title: TITLES[path] ?? path,
        ...(search ? { search } : {}),
      },
      ...(first && entry.utm ? { campaign: { ...entry.utm } } : {}),
      screen: { width: v.browser.screen[0], height: v.browser.screen[1] },
      locale: v.country.lang.split(',')[0]!,
    }
  }
  const track = (name: string, properties: Record<string, unknown>) => {
    t += 2_000 + r.int(20_000)
    const timestamp = new Date(t).toISOString()
    events.push({
      type: 'track',
      event: name,
      message_id: id('m'),
      ...ids(),
      timestamp,
      properties,
      context: context(false),
    })
  }
  let cart = 0
  for (let i = 0; i < pages; i++) {
    events.push({
      type: 'page',
      message_id: id('m'),
      ...ids(),
      timestamp: new Date(t).toISOString(),
      properties: { path, title: TITLES[path] ?? path },
      context: context(i === 0),
    })
    const price = PRICES[path]
    if (price && r.chance(0.22)) {
      track('add_to_cart', { product: path.slice('/products/'.length), price, currency: 'EUR' })
      cart += price
    }
    t += Math.min(Math.max(lognormal(r, 35_000, 0.9), 4_000), 12 * MINUTE)
    if (cart > 0 && r.chance(0.35)) {
      path = '/cart'
      if (r.chance(0.6)) {
        i = pages // the checkout ends the visit
        events.push(pageAt('/checkout'))
        track('checkout_started', { value: cart, currency: 'EUR' })
        if (!v.userId && r.chance(0.5)) signUp('checkout')
        if (r.chance(0.55)) track('purchase', { value: cart, currency: 'EUR', order_id: id('order') })
      }
    } else if (!v.userId && r.chance(0.04)) {
      path = '/signup'
      events.push(pageAt('/signup'))
      signUp('newsletter')
      i = pages
    } else path = r.pick(BROWSE)
  }
  function pageAt(p: string): InboundEvent {
    path = p
    t += 5_000 + r.int(30_000)
    return {
      type: 'page',
      message_id: id('m'),
      ...ids(),
      properties: { path: p, title: TITLES[p] ?? p },
      context: context(false),
      timestamp: new Date(t).toISOString(),
    }
  }
  function signUp(via: string) {
    track('signup_started', { via })
    if (r.chance(0.7)) {
      v.userId = id('user')
      t += 3_000
      const timestamp = new Date(t).toISOString()
      events.push({
        type: 'identify',
        message_id: id('m'),
        ...ids(),
        timestamp,
        traits: { plan: 'free' },
        context: context(false),
      })
      track('signup_completed', { via })
    }
  }
  // One batch per visit, sent when it ends (as the browser SDK flushes on page hide).
  const sentAt = t + 500
  const body = { batch: events, sent_at: new Date(sentAt).toISOString() }
  const request: DemoRequest = { at: sentAt + 150, headers: browserHeaders(v), body, bot: false }
  // ~1% of visits are flushed twice (a lost answer, a retry): the same message ids again.
  return r.chance(0.01) ? [request, { ...request, at: request.at + 4_000 }] : [request]
}

function botVisit(r: Rng, at: number, id: (p: string) => string): DemoRequest {
  const ua = r.pick(BOTS)
  const anonymousId = id('bot')
  const batch: InboundEvent[] = []
  let t = at
  for (const [path] of BROWSE.slice(0, 2 + r.int(6))) {
    batch.push({
      type: 'page',
      message_id: id('m'),
      anonymous_id: anonymousId,
      timestamp: new Date(t).toISOString(),
      properties: { path },
      context: {
        page: { path, url: `https://${DEMO_HOST}${path}`, referrer: '', title: TITLES[path] ?? path },
      },
    })
    t += 300 + r.int(1_500)
  }
  return {
    at: t + 100,
    headers: { 'user-agent': ua, 'x-demo-client-ip': '66.249.66.1' },
    body: { batch, sent_at: new Date(t).toISOString() },
    bot: true,
  }
}

function malformed(r: Rng, at: number, id: (p: string) => string): DemoRequest {
  const broken = r.chance(0.5)
    ? { type: 'track', message_id: id('m'), anonymous_id: id('anon'), properties: { plan: 'pro' } } // no event name
    : { type: 'page', message_id: id('m'), properties: { path: '/' } } // nobody: no anonymous or user id
  const sent = new Date(at).toISOString()
  return {
    at: at + 100,
    headers: { 'user-agent': BROWSERS[0]![0].ua, 'accept-language': 'en' },
    body: { batch: [{ ...broken, timestamp: sent }], sent_at: sent },
    bot: false,
  }
}

function geometric(r: Rng, p: number): number {
  let n = 0
  while (r.next() > p && n < 50) n++
  return n
}

function lognormal(r: Rng, median: number, sigma: number): number {
  const u = 1 - r.next()
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.next())
  return median * Math.exp(sigma * z)
}
