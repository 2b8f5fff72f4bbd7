import type { EventContext } from '@sightline/contracts'
import { type DeviceClass, HUMAN_AGENTS, SCREENS, type Screen } from './catalog/agents.ts'
import { COMPANIES, FIRST_NAMES, LAST_NAMES, PLANS, REGIONS, type Region } from './catalog/sources.ts'
import { hashSeed, Rng, type WeightedTable } from './random.ts'

export interface SiteInfo {
  /** The caller's site name, as passed in `sites`. */
  id: string
  /** Hostname used in generated URLs; maps back to `id` (see siteOf). */
  host: string
  brand: string
}

export const LIBRARY = { name: 'sightline-browser', version: '0.1.0' } as const

export interface Visitor {
  index: number
  site: SiteInfo
  anonymousId: string
  userId?: string
  traits?: Record<string, unknown>
  ua: string
  device: DeviceClass
  screen: Screen
  region: Region
  /** Mutable: identify is sent once, on the first session this generator emits for them. */
  identifySent: boolean
}

// Namespaces for the bijective id tails, so visitor, bot and message ids never share a space.
export const NS_VISITOR = 0x5f3759df
export const NS_BOT = 0x1b873593
export const NS_MESSAGE = 0x2545f491
const NS_USER = 0x68e31da4

export function siteInfo(id: string): SiteInfo {
  // Bare ids ("site_a") get a reserved-TLD hostname so URLs look real and never resolve.
  const host = id.includes('.') ? id : `${id.replaceAll('_', '-')}.example.com`
  const label = (host.split('.')[0] ?? host).split('-')
  const brand = label.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ')
  return { id, host, brand }
}

/**
 * A visitor's profile depends only on (seed, index), never on generation order, so the
 * same visitor looks the same whichever session first touches them.
 */
export function createVisitor(
  seedHash: number,
  index: number,
  sites: WeightedTable<SiteInfo>,
  identifiedShare: number,
): Visitor {
  const rng = new Rng(hashSeed(seedHash, 'visitor', index))
  const site = rng.pickWeighted(sites)
  const agent = rng.pickWeighted(HUMAN_AGENTS)
  const visitor: Visitor = {
    index,
    site,
    anonymousId: rng.uuid(index, seedHash ^ NS_VISITOR),
    ua: agent.ua,
    device: agent.device,
    screen: rng.pickWeighted(SCREENS[agent.device]),
    region: rng.pickWeighted(REGIONS),
    identifySent: false,
  }
  if (rng.chance(identifiedShare)) {
    const first = rng.pick(FIRST_NAMES)
    const last = rng.pick(LAST_NAMES)
    const company = rng.pick(COMPANIES)
    const plan = rng.pickWeighted(PLANS)
    // The index after the last '_' keeps user ids unique; the tag varies them by seed.
    const tag = hashSeed(index, seedHash ^ NS_USER).toString(36)
    visitor.userId = `usr_${tag}_${index.toString(36)}`
    visitor.traits = {
      email: `${first}.${last}.${index}@${company.domain}`.toLowerCase().replaceAll(' ', ''),
      name: `${first} ${last}`,
      company: company.name,
      plan: plan.name,
      // Accounts predate the generated window by up to two years.
      created_at: new Date(Date.UTC(2023, 0, 1) + rng.int(730) * 86_400_000).toISOString(),
    }
  }
  return visitor
}

export interface PageView {
  url: string
  path: string
  title: string
  referrer: string
  search: string
}

export function humanContext(v: Visitor, page: PageView, campaign?: EventContext['campaign']): EventContext {
  const context: EventContext = {
    page: pageContext(page),
    screen: { width: v.screen.width, height: v.screen.height },
    locale: v.region.locale,
    timezone: v.region.timezone,
    library: { ...LIBRARY },
    userAgent: v.ua,
  }
  if (campaign) context.campaign = { ...campaign }
  return context
}

export function pageContext(page: PageView): NonNullable<EventContext['page']> {
  const out: NonNullable<EventContext['page']> = {
    url: page.url,
    path: page.path,
    referrer: page.referrer,
    title: page.title,
  }
  if (page.search) out.search = page.search
  return out
}
