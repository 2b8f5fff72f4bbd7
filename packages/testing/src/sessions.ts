import type { EventContext, InboundEvent } from '@sightline/contracts'
import { BOT_AGENTS } from './catalog/agents.ts'
import {
  CRAWLABLE,
  LANDING,
  NAV,
  PAGE_DASHBOARD,
  PAGE_HOME,
  PAGE_PRICING,
  PAGE_SIGNUP,
  PAGES,
  type Page,
} from './catalog/pages.ts'
import { CAMPAIGNS, CURRENCIES, PLANS, SIGNUP_METHODS, SOURCES } from './catalog/sources.ts'
import type { Rng } from './random.ts'
import { humanContext, LIBRARY, type PageView, pageContext, type SiteInfo, type Visitor } from './visitors.ts'

/** An event plus its time as a number: the session is shifted into the window before stamping. */
export interface Draft {
  event: InboundEvent
  t: number
}

export interface SessionDeps {
  rng: Rng
  messageId(): string
}

const SECOND = 1000

function view(site: SiteInfo, page: Page, referrer: string, search = ''): PageView {
  return {
    url: `https://${site.host}${page.path}${search}`,
    path: page.path,
    title: `${page.title} | ${site.brand}`,
    referrer,
    search,
  }
}

function ids(v: Visitor): Pick<InboundEvent, 'anonymous_id' | 'user_id'> {
  // Known users carry user_id on every event (a returning, logged-in SDK), so counting a
  // person as user_id-else-anonymous_id agrees with identity-merged counting.
  return v.userId ? { anonymous_id: v.anonymousId, user_id: v.userId } : { anonymous_id: v.anonymousId }
}

function nextPage(rng: Rng, v: Visitor, current: Page): Page {
  if (v.userId && (current.section === 'app' || rng.chance(0.5))) return rng.pickWeighted(NAV.app)
  if (current.section === 'blog' && rng.chance(0.45)) return rng.pickWeighted(NAV.blog)
  if (current.section === 'docs' && rng.chance(0.6)) return rng.pickWeighted(NAV.docs)
  return rng.pickWeighted(NAV.public)
}

/** A human visit: landing from a source, a long-tailed number of pages, occasional actions. */
export function humanSession(deps: SessionDeps, v: Visitor): Draft[] {
  const { rng } = deps
  const out: Draft[] = []
  const source = rng.pickWeighted(SOURCES)
  const campaign = !v.userId && rng.chance(0.15) ? rng.pickWeighted(CAMPAIGNS) : undefined

  let page: Page
  let referrer = source.referrer
  let search = ''
  let utm: EventContext['campaign']
  if (campaign) {
    page = PAGES.find((p) => p.path === campaign.landing) ?? PAGE_HOME
    referrer = campaign.referrer
    utm = { source: campaign.source, medium: campaign.medium, name: campaign.name }
    if (campaign.term) utm.term = campaign.term
    if (campaign.content) utm.content = campaign.content
    search = `?${Object.entries(utm)
      .map(([k, val]) => `utm_${k === 'name' ? 'campaign' : k}=${encodeURIComponent(val)}`)
      .join('&')}`
  } else if (v.userId && rng.chance(0.5)) {
    page = PAGE_DASHBOARD
    referrer = ''
  } else {
    page = rng.pickWeighted(LANDING[source.kind])
  }

  const pages = 1 + Math.min(rng.geometric(2.5), 40)
  let t = 0
  let signedUp = false
  for (let i = 0; i < pages; i++) {
    const pv = view(v.site, page, referrer, search)
    const context = (): EventContext => humanContext(v, pv, i === 0 ? utm : undefined)
    out.push({
      t,
      event: {
        type: 'page',
        message_id: deps.messageId(),
        ...ids(v),
        properties: { title: pv.title, path: pv.path, url: pv.url, referrer: pv.referrer },
        context: context(),
      },
    })
    const dwell = Math.min(Math.max(rng.logNormal(30 * SECOND, 1), 5 * SECOND), 15 * 60 * SECOND)
    // Actions happen during the dwell, in order, before the next pageview.
    let at = t + 500 + rng.int(1500)
    const act = (name: string, properties: Record<string, unknown>): void => {
      out.push({
        t: at,
        event: {
          type: 'track',
          event: name,
          message_id: deps.messageId(),
          ...ids(v),
          properties,
          context: context(),
        },
      })
      at += (dwell - (at - t)) * (0.2 + 0.5 * rng.next())
    }
    if (v.userId && v.traits && !v.identifySent) {
      v.identifySent = true
      out.push({
        t: at,
        event: {
          type: 'identify',
          message_id: deps.messageId(),
          ...ids(v),
          traits: { ...v.traits },
          context: context(),
        },
      })
      at += 200 + rng.int(800)
    }
    if (!v.userId && !signedUp && (page === PAGE_PRICING || page === PAGE_SIGNUP)) {
      if (rng.chance(page === PAGE_SIGNUP ? 0.5 : 0.18)) {
        signedUp = true
        const plan = rng.pickWeighted(PLANS).name
        act('signup_started', { plan, source_page: page.path })
        if (rng.chance(0.55)) act('signup_completed', { plan, method: rng.pickWeighted(SIGNUP_METHODS) })
      }
    }
    if (v.userId && (page === PAGE_PRICING || page.path === '/app/billing') && rng.chance(0.15)) {
      const plan = rng.pickWeighted(PLANS)
      const yearly = rng.chance(0.3)
      const seats = 1 + rng.geometric(3)
      act('checkout', {
        plan: plan.name === 'free' ? 'pro' : plan.name,
        interval: yearly ? 'year' : 'month',
        seats,
        amount: Math.max(plan.monthly, 49) * seats * (yearly ? 10 : 1),
        currency: rng.pickWeighted(CURRENCIES),
      })
    }
    if (page.video && rng.chance(0.12)) {
      act('video_played', {
        video_id: page.video.id,
        title: page.video.title,
        duration_s: page.video.durationS,
        autoplay: rng.chance(0.2),
      })
    }
    t += dwell
    referrer = pv.url
    search = ''
    page = nextPage(rng, v, page)
  }
  return out
}

const BOT_GAP_MS = { crawler: [400, 4000], headless: [150, 1500], script: [30, 800] } as const

/**
 * A bot visit: many pages, fast, no actions. Bots keep no cookies, so each visit gets a
 * fresh anonymous id — which is exactly how they inflate unique-visitor counts.
 */
export function botSession(deps: SessionDeps, site: SiteInfo, anonymousId: string): Draft[] {
  const { rng } = deps
  const bot = rng.pickWeighted(BOT_AGENTS)
  const pages = 8 + rng.int(50)
  const [minGap, maxGap] = BOT_GAP_MS[bot.kind]
  const out: Draft[] = []
  // Scripts walk the sitemap in order; crawlers and headless browsers wander.
  let cursor = rng.int(CRAWLABLE.length)
  let referrer = ''
  let t = 0
  for (let i = 0; i < pages; i++) {
    const page = bot.kind === 'script' ? CRAWLABLE[cursor++ % CRAWLABLE.length]! : rng.pick(CRAWLABLE)
    const pv = view(site, page, referrer)
    const context: EventContext = { page: pageContext(pv), library: { ...LIBRARY }, userAgent: bot.ua }
    if (bot.kind !== 'script') {
      context.locale = 'en-US'
      context.timezone = bot.kind === 'headless' ? 'UTC' : 'America/Los_Angeles'
      context.screen = bot.kind === 'headless' ? { width: 800, height: 600 } : { width: 1024, height: 1024 }
    }
    out.push({
      t,
      event: {
        type: 'page',
        message_id: deps.messageId(),
        anonymous_id: anonymousId,
        properties: { title: pv.title, path: pv.path, url: pv.url, referrer: pv.referrer },
        context,
      },
    })
    if (bot.kind === 'headless') referrer = pv.url
    t += minGap + rng.int(maxGap - minGap)
  }
  return out
}
