import { type EnrichedEvent, type InboundEvent, stampEvent } from '@sightline/contracts'
import { createGenerator, Rng } from '@sightline/testing'
import { applyIdentityLinks, type EventRow, toEventRow, type Warehouse } from '@sightline/warehouse'

/**
 * The shared product-analytics dataset: generated traffic plus hand-made persons whose
 * answers are known, for persons, funnels, retention, paths and attribution. Every insight's
 * test loads it with `loadProductDataset` and compares the warehouse with a plain-TypeScript
 * reference over `storedRows()`; who is one person: `resolvePersons(storedRows()).personOf(row)`
 * from reference/persons.ts (the writer's merges, computed independently).
 *
 * Site time zone America/New_York, across the end of DST (2024-11-03 02:00 EDT → 01:00 EST,
 * i.e. 06:00Z; that local day is 25 hours). The range under test is two local weeks,
 * Monday to Monday: [2024-10-28T00:00-04:00, 2024-11-11T00:00-05:00). Events run from
 * 2024-10-14 so first-time cohorts and lookback windows have history before `from`.
 *
 * What is in it (each case is named where it is built, below):
 * - generated humans (known users carry user_id on every event and send one identify) and bots;
 * - `journeys`: 80 persons on one or two devices, landing from UTM-tagged or referred visits,
 *   anonymous `signup` on the first device, `identify` on one or both, `activate` and
 *   `purchase` (numeric `value`, `plan`) — some stop at each step;
 * - hand cases: two devices merged by identify; an alias chain A→B→C delivered out of order;
 *   a server-side alias without an anonymous id that merges two persons of two ids each;
 *   a person whose one device is a bot; redelivered message ids (a duplicated identify
 *   among them) and a retried insert of a whole block; events in the repeated 01:00 hour of
 *   the DST change; same-millisecond funnel steps; gaps of exactly 30:00 and 30:00.001;
 *   no-op identify/alias (same id twice); an event with no person; and the same ids on
 *   another site (`site_b`), where they must stay separate people;
 * - traits for person properties (the `plan` trait): journeys set it on identify and change it
 *   with a purchase; Ada's is set on her phone's anonymous id and changed under her user id;
 *   Grace's changes after the first week (so she leaves a `pro` cohort), and a group call of
 *   hers carries the group's plan; the chain's changes after `to`; the bot person's bot device
 *   says another plan; two traits set in one millisecond.
 */

// site_a so the query tests' keys reach it; site_b holds the same ids as other people.
export const PRODUCT_SITE = 'site_a'
export const OTHER_SITE = 'site_b'
export const PRODUCT_TZ = 'America/New_York'
export const PRODUCT_FROM = '2024-10-28T00:00:00-04:00'
export const PRODUCT_TO = '2024-11-11T00:00:00-05:00'
/** Where events start: two weeks of history before `from`. */
export const PRODUCT_HISTORY_FROM = '2024-10-14T00:00:00-04:00'

const HISTORY_MS = Date.parse(PRODUCT_HISTORY_FROM)
const END_MS = Date.parse(PRODUCT_TO) + 2 * 86_400_000 // a little after `to`, so `to` is exclusive on real rows
const MINUTE = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000

const generator = createGenerator({
  seed: 'product-analytics',
  sites: [PRODUCT_SITE],
  visitors: 400,
  start: new Date(HISTORY_MS),
  spanMs: END_MS - HISTORY_MS,
  botShare: 0.12,
  identifiedShare: 0.3,
})
const HOST = generator.hostOf(PRODUCT_SITE)

const PHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1'
const LAPTOP_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
const BOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'

/** An inbound event and the site it was sent to. */
export interface Delivered {
  site: string
  event: InboundEvent
}

interface Ids {
  anon?: string
  user?: string
  previous?: string
}

interface Extra {
  path?: string
  utm?: [source: string, medium: string, campaign: string]
  referrer?: string
  ua?: string
  properties?: Record<string, unknown>
  traits?: Record<string, unknown>
  site?: string
  messageId?: string
}

let counter = 0
function nextId(): string {
  return `pd-${String(counter++).padStart(5, '0')}`
}

function at(ms: number): string {
  return new Date(ms).toISOString()
}

function base(type: InboundEvent['type'], when: number, ids: Ids, extra: Extra): InboundEvent {
  const event: InboundEvent = {
    type,
    message_id: extra.messageId ?? nextId(),
    timestamp: at(when),
    properties: extra.properties ?? {},
    context: { userAgent: extra.ua ?? LAPTOP_UA },
  }
  if (ids.anon !== undefined) event.anonymous_id = ids.anon
  if (ids.user !== undefined) event.user_id = ids.user
  if (ids.previous !== undefined) event.previous_id = ids.previous
  if (extra.traits) event.traits = extra.traits
  return event
}

function page(when: number, ids: Ids, extra: Extra = {}): Delivered {
  const event = base('page', when, ids, extra)
  const path = extra.path ?? '/'
  const [source, medium, campaign] = extra.utm ?? []
  const query =
    source === undefined
      ? ''
      : `?utm_source=${encodeURIComponent(source)}&utm_medium=${encodeURIComponent(medium!)}&utm_campaign=${encodeURIComponent(campaign!)}`
  event.context!.page = { url: `https://${HOST}${path}${query}`, path, referrer: extra.referrer ?? '' }
  if (source !== undefined) event.context!.campaign = { source, medium, name: campaign }
  return { site: extra.site ?? PRODUCT_SITE, event }
}

function track(name: string, when: number, ids: Ids, extra: Extra = {}): Delivered {
  const event = base('track', when, ids, extra)
  event.event = name
  return { site: extra.site ?? PRODUCT_SITE, event }
}

function identify(when: number, anon: string, user: string, extra: Extra = {}): Delivered {
  return { site: extra.site ?? PRODUCT_SITE, event: base('identify', when, { anon, user }, extra) }
}

/** Segment's alias: `previous_id` becomes `user_id`. `anon` only when a browser sent it. */
function alias(
  when: number,
  previous: string,
  user: string,
  extra: Extra & { anon?: string } = {},
): Delivered {
  const ids: Ids = { previous, user }
  if (extra.anon !== undefined) ids.anon = extra.anon
  return { site: extra.site ?? PRODUCT_SITE, event: base('alias', when, ids, extra) }
}

const t = (iso: string) => Date.parse(iso)

/**
 * Hand-made cases. Times are UTC; New York is UTC−4 until 2024-11-03 06:00Z, then UTC−5.
 * The comments give the answer each case pins down.
 */
function handCases(): Delivered[] {
  const out: Delivered[] = []
  const push = (...events: Delivered[]) => out.push(...events)

  // Ada, two devices: anonymous on her phone (from a newsletter) and her laptop (Google ads),
  // signs up on the phone, identifies on the laptop, later on the phone too. Every one of her
  // events, before and after either identify, is one person: 1 visitor, not 3.
  const phone = { anon: 'ada-phone' }
  const laptop = { anon: 'ada-laptop' }
  push(
    page(t('2024-10-29T12:00:00Z'), phone, { ua: PHONE_UA, path: '/', utm: ['newsletter', 'email', 'fall'] }),
    page(t('2024-10-29T12:02:00Z'), phone, { ua: PHONE_UA, path: '/pricing' }),
    // Her plan trait: `free` set with the signup under the phone's anonymous id (PostHog's
    // `$set` on any event), then `pro` under her user id on the laptop. Merged, her latest
    // value is the user id's: she is `pro`, never `free`, though ada-phone alone would be.
    track('signup', t('2024-10-29T12:03:00Z'), phone, {
      ua: PHONE_UA,
      properties: { plan: 'pro' },
      traits: { plan: 'free' },
    }),
    page(t('2024-10-30T15:00:00Z'), laptop, { path: '/', utm: ['google', 'cpc', 'brand'] }),
    identify(t('2024-10-30T15:01:00Z'), 'ada-laptop', 'user-ada', {
      traits: { email: 'ada@example.com', plan: 'pro', seats: 3 },
    }),
    track('activate', t('2024-10-30T15:05:00Z'), { anon: 'ada-laptop', user: 'user-ada' }),
    page(t('2024-11-05T13:00:00Z'), { anon: 'ada-phone', user: 'user-ada' }, { ua: PHONE_UA, path: '/app' }),
    identify(t('2024-11-05T13:00:30Z'), 'ada-phone', 'user-ada', { ua: PHONE_UA }),
    track(
      'purchase',
      t('2024-11-05T13:04:00Z'),
      { anon: 'ada-phone', user: 'user-ada' },
      { ua: PHONE_UA, properties: { value: 49, plan: 'pro', currency: 'USD' } },
    ),
  )

  // An alias chain A→B→C, delivered C-link first: chain-b → chain-c arrives before
  // chain-a → chain-b. One person of three ids whatever the order.
  push(
    page(
      t('2024-10-28T14:00:00Z'),
      { anon: 'chain-a' },
      { path: '/', referrer: 'https://news.ycombinator.com/' },
    ),
    track('signup', t('2024-10-28T14:05:00Z'), { anon: 'chain-a' }),
    alias(t('2024-11-01T09:00:00Z'), 'chain-b', 'chain-c', { messageId: 'pd-chain-bc' }),
    alias(t('2024-10-28T14:06:00Z'), 'chain-a', 'chain-b', { anon: 'chain-a', messageId: 'pd-chain-ab' }),
    track('activate', t('2024-10-29T10:00:00Z'), { user: 'chain-b' }),
    track(
      'purchase',
      t('2024-11-02T10:00:00Z'),
      { user: 'chain-c' },
      { properties: { value: 120, plan: 'team' }, traits: { plan: 'team' } },
    ),
    // After `to`: a property as of the range's end is still `team`.
    track('plan_changed', t('2024-11-12T09:00:00Z'), { user: 'chain-c' }, { traits: { plan: 'free' } }),
  )

  // Grace: a browser person {grace-anon, user-grace} and a server-side person
  // {legacy-device, legacy-42} from an old system. A server-side alias legacy-42 → user-grace
  // (no anonymous id at all) merges two persons of two ids each into one of four.
  push(
    page(
      t('2024-10-31T16:00:00Z'),
      { anon: 'grace-anon' },
      { path: '/', utm: ['facebook', 'paid', 'launch'] },
    ),
    track('signup', t('2024-10-31T16:10:00Z'), { anon: 'grace-anon' }),
    identify(t('2024-10-31T16:11:00Z'), 'grace-anon', 'user-grace', { traits: { plan: 'pro' } }),
    identify(t('2024-10-20T08:00:00Z'), 'legacy-device', 'legacy-42', {
      ua: '',
      traits: { plan: 'enterprise', seats: 40 },
    }),
    track('activate', t('2024-10-20T08:01:00Z'), { user: 'legacy-42' }, { ua: '' }),
    alias(t('2024-11-04T12:00:00Z'), 'legacy-42', 'user-grace', { ua: '' }),
    // Her plan goes from `pro` to `free` in the second week: as of the first week's end she is
    // `pro`, as of `to` she has left that cohort. The group call after it describes her
    // company (the group's plan), not her: it is no person property.
    track(
      'purchase',
      t('2024-11-04T12:30:00Z'),
      { user: 'user-grace' },
      { properties: { value: 19.5 }, traits: { plan: 'free' } },
    ),
    {
      site: PRODUCT_SITE,
      event: {
        type: 'group',
        message_id: 'pd-grace-group',
        user_id: 'user-grace',
        group_id: 'grace-co',
        timestamp: at(t('2024-11-04T13:00:00Z')),
        properties: {},
        traits: { plan: 'pro', name: 'Grace Co' },
      },
    },
  )

  // A person whose laptop is flagged as a bot (automation UA): without bots they count
  // through their phone only; their bot events are never a visit or a visitor.
  push(
    page(t('2024-11-06T10:00:00Z'), { anon: 'botty-phone' }, { ua: PHONE_UA, path: '/' }),
    // Their plan is `free` by their phone; only with bots does the bot's later `pro` count.
    identify(t('2024-11-06T10:01:00Z'), 'botty-phone', 'user-botty', {
      ua: PHONE_UA,
      traits: { plan: 'free' },
    }),
    page(t('2024-11-06T11:00:00Z'), { anon: 'botty-script', user: 'user-botty' }, { ua: BOT_UA, path: '/a' }),
    identify(t('2024-11-06T11:00:01Z'), 'botty-script', 'user-botty', {
      ua: BOT_UA,
      traits: { plan: 'pro' },
    }),
    page(t('2024-11-06T11:00:02Z'), { anon: 'only-bot' }, { ua: BOT_UA, path: '/b' }),
  )

  // The repeated hour: 01:30 EDT (05:30Z) and 01:30 EST (06:30Z) are both "01:30" locally on
  // 2024-11-03; one person, two visits (60 minutes apart), both on the local day 11-03.
  push(
    page(t('2024-11-03T05:30:00Z'), { anon: 'dst-owl' }, { path: '/night' }),
    page(t('2024-11-03T06:30:00Z'), { anon: 'dst-owl' }, { path: '/night' }),
    // Local midnight edges: 03:59:59.999Z is still 11-02 (EDT); 05:00Z is 11-04 00:00 EST.
    page(t('2024-11-03T03:59:59.999Z'), { anon: 'dst-edge' }, { path: '/late' }),
    page(t('2024-11-04T05:00:00.000Z'), { anon: 'dst-edge' }, { path: '/early' }),
  )

  // Same millisecond: signup, activate and purchase at one instant (ordered by message id).
  // Two plans set in that millisecond: the later message id's, `pro`, is the latest.
  const same = t('2024-11-07T18:00:00.000Z')
  push(
    page(same - MINUTE, { anon: 'same-ms' }, { path: '/signup' }),
    track('signup', same, { anon: 'same-ms' }, { messageId: 'pd-same-1', traits: { plan: 'free' } }),
    track('activate', same, { anon: 'same-ms' }, { messageId: 'pd-same-2', traits: { plan: 'pro' } }),
    track('purchase', same, { anon: 'same-ms' }, { messageId: 'pd-same-3', properties: { value: 9 } }),
  )

  // Exactly 30:00 continues a visit; 30:00.001 starts another.
  const gap = t('2024-11-08T14:00:00.000Z')
  push(
    page(gap, { anon: 'gap-30' }, { path: '/one' }),
    page(gap + 30 * MINUTE, { anon: 'gap-30' }, { path: '/two' }),
    page(gap + 60 * MINUTE + 1, { anon: 'gap-30' }, { path: '/three' }),
  )

  // No-op merges: identify and alias naming one id twice; an event with no person at all.
  push(
    identify(t('2024-11-01T12:00:00Z'), 'self-same', 'self-same'),
    alias(t('2024-11-01T12:01:00Z'), 'self-same', 'self-same'),
    track('signup', t('2024-11-01T12:02:00Z'), { anon: 'self-same' }),
    {
      site: PRODUCT_SITE,
      event: {
        type: 'group',
        message_id: 'pd-group-only',
        group_id: 'acme',
        timestamp: at(t('2024-11-01T12:03:00Z')),
        properties: {},
        traits: { name: 'Acme' },
      } as InboundEvent,
    },
  )

  // The same ids on another site are other people: site_b links ada-phone to chain-a, which
  // must not merge Ada with the chain on site_a.
  push(
    page(t('2024-10-30T10:00:00Z'), { anon: 'ada-phone' }, { site: OTHER_SITE, path: '/' }),
    identify(t('2024-10-30T10:01:00Z'), 'ada-phone', 'chain-a', { site: OTHER_SITE }),
    track('signup', t('2024-10-30T10:02:00Z'), { user: 'chain-a' }, { site: OTHER_SITE }),
  )
  return out
}

const CHANNELS: Array<Extra['utm'] | { referrer: string } | undefined> = [
  ['google', 'cpc', 'brand'],
  ['newsletter', 'email', 'fall'],
  ['facebook', 'paid', 'launch'],
  { referrer: 'https://www.google.com/' },
  { referrer: 'https://twitter.com/someone' },
  undefined, // direct
]

/**
 * 80 persons with journeys: touches from channels on one or two devices, then funnel steps
 * that each continue with a fixed chance, across the whole span (so some start before
 * `from`, some convert after `to`). Deterministic: a seeded generator.
 */
function journeys(): Delivered[] {
  const rng = new Rng('product-journeys')
  const out: Delivered[] = []
  for (let i = 0; i < 80; i++) {
    const user = `user-j${i}`
    const devices = [`j${i}-phone`, ...(rng.chance(0.6) ? [`j${i}-laptop`] : [])]
    const ua = (d: string) => (d.endsWith('phone') ? PHONE_UA : LAPTOP_UA)
    let now = HISTORY_MS + rng.int(END_MS - HISTORY_MS - 6 * DAY)
    const touch = (device: string) => {
      const channel = CHANNELS[rng.int(CHANNELS.length)]
      const extra: Extra = { ua: ua(device), path: '/' }
      if (Array.isArray(channel)) extra.utm = channel
      else if (channel) extra.referrer = channel.referrer
      out.push(page(now, { anon: device }, extra))
      now += MINUTE + rng.int(5 * MINUTE)
      out.push(
        page(now, { anon: device }, { ua: ua(device), path: rng.chance(0.5) ? '/pricing' : '/features' }),
      )
      now += MINUTE + rng.int(10 * MINUTE)
    }
    touch(devices[0]!)
    if (devices[1]) {
      now += rng.int(2 * DAY)
      touch(devices[1])
    }
    if (!rng.chance(0.7)) continue
    const first = devices[0]!
    const plan = rng.chance(0.5) ? 'pro' : 'free'
    out.push(track('signup', now, { anon: first }, { ua: ua(first), properties: { plan } }))
    now += 30_000 + rng.int(MINUTE)
    const identified = rng.chance(0.75)
    // Traits on identify: the plan signed up for and a seat count (not drawn from `rng`, so
    // the rest of the journeys stay as they were).
    const traits = { plan, seats: 1 + ((i * 7) % 12) }
    for (const d of devices) {
      if (!identified || (d !== first && !rng.chance(0.7))) continue
      out.push(identify(now, d, user, { ua: ua(d), traits }))
      now += 10_000
    }
    if (!rng.chance(0.6)) continue
    now += rng.int(3 * DAY)
    const last = devices[devices.length - 1]!
    const ids = identified ? { anon: last, user } : { anon: last }
    // A repeated attempt sometimes: activate twice, hours apart.
    out.push(track('activate', now, ids, { ua: ua(last) }))
    if (rng.chance(0.2)) out.push(track('activate', now + 5 * HOUR, ids, { ua: ua(last) }))
    if (!rng.chance(0.5)) continue
    now += rng.int(5 * DAY)
    if (rng.chance(0.5)) {
      now += HOUR
      const channel = CHANNELS[rng.int(3)] as Extra['utm']
      out.push(page(now, ids, { ua: ua(last), path: '/', utm: channel! }))
    }
    // The plan bought becomes the person's plan (a `$set` with the purchase).
    const value = 10 + rng.int(200)
    const bought = rng.chance(0.5) ? 'pro' : 'team'
    out.push(
      track('purchase', now + MINUTE, ids, {
        ua: ua(last),
        properties: { value, plan: bought },
        traits: { plan: bought },
      }),
    )
  }
  return out
}

function enrich({ site, event }: Delivered): EnrichedEvent {
  const stamped = stampEvent(event, { siteId: site, receivedAt: event.timestamp!, ingestPath: 'native' })
  const ua = event.context?.userAgent ?? ''
  const bot = generator.isBotUserAgent(ua)
  // Enrichment is another package's concern; a stable stand-in gives breakdowns values.
  const h = [...stamped.anonymous_id, ...stamped.user_id].reduce(
    (n, c) => (n * 31 + c.charCodeAt(0)) >>> 0,
    7,
  )
  return {
    ...stamped,
    user_agent: ua,
    bot: { is_bot: bot, score: bot ? 1 : 0, reasons: bot ? ['ua_crawler'] : [] },
    geo: { country: ['US', 'DE', 'FR', 'JP', 'BR', ''][h % 6]! },
    device: {
      browser: /Chrome/.test(ua)
        ? 'Chrome'
        : /Safari/.test(ua)
          ? 'Safari'
          : /Firefox/.test(ua)
            ? 'Firefox'
            : '',
      os: /iPhone/.test(ua) ? 'iOS' : /Mac OS/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : '',
      device_type: /Mobile/.test(ua) ? 'mobile' : ua === '' ? '' : 'desktop',
    },
  } as EnrichedEvent
}

function toRow(d: Delivered): EventRow {
  // Fixed 2024 dates: stretch retention so the table's TTL never deletes them mid-test.
  return toEventRow(enrich(d), { retentionDays: 10_000 })
}

/** One insert as the writer would make it: its rows and its deterministic token. */
export interface ProductBlock {
  token: string
  rows: EventRow[]
}

/**
 * The delivery, in order: the generated traffic, the journeys, the hand cases, then
 * redeliveries — the same message ids again in a later block (the stream redelivered them;
 * the writer's dedup drops them) and a retried insert of the generated block with its own
 * token (ClickHouse drops it). Built once, so every call returns the same rows.
 */
let built: ProductBlock[] | undefined
export function productBlocks(): ProductBlock[] {
  if (built) return built
  const generated = generator.events(8_000).map((event) => toRow({ site: PRODUCT_SITE, event }))
  const journeyRows = journeys().map(toRow)
  const hand = handCases().map(toRow)
  // Redelivered: every 97th generated event, Ada's identify and purchase, one chain alias.
  const redelivered = [
    ...generated.filter((_, i) => i % 97 === 0),
    ...hand.filter((r) => r.anonymous_id === 'ada-laptop' && r.type === 'identify'),
    ...hand.filter((r) => r.event === 'purchase' && r.user_id === 'user-ada'),
    ...hand.filter((r) => r.message_id === 'pd-chain-ab'),
  ]
  built = [
    { token: 'product-generated', rows: generated },
    { token: 'product-generated', rows: generated },
    { token: 'product-journeys', rows: journeyRows },
    { token: 'product-hand', rows: hand },
    { token: 'product-redelivered', rows: redelivered },
  ]
  return built
}

/**
 * What the events table holds after loading: each (site, message id) once, the first
 * delivery kept — what the writer's dedup (ADR 0004) and the insert token leave.
 */
export function storedRows(): EventRow[] {
  const seen = new Set<string>()
  const out: EventRow[] = []
  for (const block of productBlocks()) {
    for (const row of block.rows) {
      const key = `${row.site_id}\u0000${row.message_id}`
      if (seen.has(key)) continue
      seen.add(key)
      out.push(row)
    }
  }
  return out
}

/**
 * Loads the dataset into a migrated warehouse the way the writer does: per block, drop the
 * message ids already loaded (the dedup store's job), insert with the block's token, then
 * record the block's identity links (identify/alias) in `person_overrides` with the writer's
 * own function. A repeated token is inserted again on purpose: ClickHouse must drop it.
 */
export async function loadProductDataset(warehouse: Warehouse): Promise<void> {
  const seen = new Set<string>()
  for (const [i, block] of productBlocks().entries()) {
    const repeatOfPrevious = i > 0 && productBlocks()[i - 1]!.token === block.token
    const fresh = repeatOfPrevious
      ? block.rows
      : block.rows.filter((row) => {
          const key = `${row.site_id}\u0000${row.message_id}`
          if (seen.has(key)) return false
          seen.add(key)
          return true
        })
    if (fresh.length === 0) continue
    await warehouse.insert('events', fresh, { dedupToken: block.token })
    await applyIdentityLinks(warehouse, fresh)
  }
}
