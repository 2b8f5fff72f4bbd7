import type { BotVerdict, Device, EnrichedEvent } from '@sightline/contracts'
import {
  type BotSignals,
  cfGeoIsReal,
  clientHintsMajor,
  cookielessVisitorId,
  dailySalt,
  factsFromCf,
  isPrivateIp,
  mergeVerdicts,
  parseDevice,
  scoreBot,
  truncateIp,
  utcDay,
} from '@sightline/enrichment'
import type { ClientIpOf } from './client-ip.ts'
import { isRelayed, looksLikeBrowser, type RelayingRequest } from './enrich/client.ts'
import type { EnrichRefusal, EnrichResult } from './enrich/refusals.ts'
import type { EnrichSettings } from './enrich/settings.ts'
import type { EnrichContext, Enricher } from './pipeline/surface.ts'
import type { Site } from './sites.ts'

export interface EnrichOptions extends Omit<EnrichSettings, 'clientIp'> {
  /** The visitor's IP as the composition root's policy reads it (client-ip.ts). */
  clientIp: ClientIpOf
  /** Requests per minute recently seen from this client, if something measures it. */
  requestRate?: (request: Request, site: Site) => number | undefined
}

/** What a browser SDK sends as anonymous_id when the site runs without cookies. */
export const COOKIELESS_PLACEHOLDER = '$cookieless'
const MAX_UA_CHARS = 512
const NOT_A_BOT: BotVerdict = Object.freeze({ is_bot: false, score: 0, reasons: [] }) as BotVerdict

interface Source {
  userAgent?: string
  ip?: string
  device: Readonly<Device>
  bot: BotVerdict
  /** Geo and colo from request.cf: only for events the visitor's browser sent itself. */
  cf: boolean
}

/**
 * The edge's enrichment step: device, bot verdict, geo and privacy, per request. Work
 * that depends only on the request (UA parsing, the verdict, the IP) is done once and
 * shared by every event in the batch; only relayed events are looked at one by one.
 */
export function createEnricher(options: EnrichOptions): Enricher {
  let salt: { day: string; value: Promise<string> } | undefined
  const saltFor = (now: number) => {
    const day = utcDay(now)
    if (salt?.day !== day) salt = { day, value: dailySalt(options.visitorSecret, now) }
    return salt.value
  }

  return async (events, ctx): Promise<EnrichResult> => {
    const { request, site } = ctx
    const headers = request.headers
    const cf = (request as Request & { cf?: Record<string, unknown> }).cf
    const trusted = cfGeoIsReal(cf, options.trustCfGeo)
    const facts = trusted ? factsFromCf(cf) : {}
    const requestUa = headers.get('user-agent')?.slice(0, MAX_UA_CHARS) || undefined
    const signals: BotSignals = {
      userAgent: requestUa,
      fromBrowser: true,
      acceptLanguage: headers.get('accept-language') ?? undefined,
      secChUa: headers.get('sec-ch-ua') ?? undefined,
      secChUaMajor: clientHintsMajor(headers),
      asn: facts.asn,
      botManagement: facts.botManagement,
      requestsPerMinute: options.requestRate?.(request, site),
    }
    const direct: Source = {
      userAgent: requestUa,
      ip: options.clientIp(request),
      device: parseDevice(requestUa, headers),
      bot: scoreBot(signals),
      cf: true,
    }
    // The relaying request is always judged too: on what no server can explain away (its
    // UA naming a bot or automation tool, a missing UA, Cloudflare's Bot Management).
    // Header consistency, datacenter ASN and request rate are left out: every server
    // relaying for many users trips them.
    const relayVerdict = scoreBot({
      userAgent: requestUa,
      fromBrowser: false,
      botManagement: facts.botManagement,
    })
    const requester: RelayingRequest = {
      userAgent: requestUa,
      isBrowser: looksLikeBrowser(requestUa),
      isBot: relayVerdict.is_bot,
    }

    const out: EnrichedEvent[] = []
    const refused: EnrichRefusal[] = []
    for (let position = 0; position < events.length; position++) {
      const event = events[position]!
      const source = isRelayed(event, requester)
        ? relayedSource(event, relayVerdict)
        : directSource(event, direct, signals)
      const enriched = await enrichOne(event, source, ctx, facts, trusted, saltFor)
      if (site.settings.block_bots && enriched.bot?.is_bot) {
        refused.push({
          position,
          code: 'bot_blocked',
          message: `refused as automated (score ${enriched.bot.score}: ${enriched.bot.reasons.join(', ')})`,
        })
      } else out.push(enriched)
    }
    return { events: out, refused }
  }
}

function directSource(event: EnrichedEvent, direct: Source, signals: BotSignals): Source {
  const context = event.context
  const webdriver = context.webdriver === true
  const source = webdriver ? { ...direct, bot: scoreBot({ ...signals, webdriver }) } : direct
  if (direct.userAgent || typeof context.userAgent !== 'string' || context.userAgent === '') return source
  // No UA on the request at all: the SDK's copy is the best description of the device,
  // while the verdict still counts the missing header.
  const userAgent = context.userAgent.slice(0, MAX_UA_CHARS)
  return { ...source, userAgent, device: parseDevice(userAgent) }
}

/**
 * A server's event on a visitor's behalf: device and geo from the end user's values in
 * `context`, request.cf ignored (it describes the server). The verdict is the relaying
 * request's merged with the end user's, so a claimed identity can only add reasons.
 */
function relayedSource(event: EnrichedEvent, relayVerdict: BotVerdict): Source {
  const context = event.context
  const webdriver = context.webdriver === true
  const userAgent =
    typeof context.userAgent === 'string' ? context.userAgent.slice(0, MAX_UA_CHARS) : undefined
  const ip = typeof context.ip === 'string' && truncateIp(context.ip) ? context.ip.trim() : undefined
  // A server event with no end-user UA (an order paid, a job finished) has no visitor to judge.
  const endUser = userAgent ? scoreBot({ userAgent, fromBrowser: false, webdriver }) : NOT_A_BOT
  return {
    ...(userAgent ? { userAgent } : {}),
    ...(ip ? { ip } : {}),
    device: parseDevice(userAgent),
    bot: relayVerdict.reasons.length === 0 ? endUser : mergeVerdicts(relayVerdict, endUser),
    cf: false,
  }
}

async function enrichOne(
  event: EnrichedEvent,
  source: Source,
  ctx: EnrichContext,
  facts: ReturnType<typeof factsFromCf>,
  cfTrusted: boolean,
  saltFor: (now: number) => Promise<string>,
): Promise<EnrichedEvent> {
  const privacy = ctx.site.settings.privacy
  const out: EnrichedEvent = { ...event, device: source.device, bot: source.bot }
  if (source.userAgent) out.user_agent = source.userAgent
  if (source.cf && facts.colo) out.edge = { ...event.edge, colo: facts.colo }
  if (source.cf && cfTrusted && facts.geo) out.geo = facts.geo
  else if (source.ip && !isPrivateIp(source.ip)) {
    // The bridge geolocates from this and removes it before the event is stored.
    const truncated = truncateIp(source.ip)
    if (truncated) out.geo_ip = truncated
  }
  if (privacy.keep_ip) {
    if (source.ip) out.ip = source.ip
  } else if (event.context.ip !== undefined) {
    // Segment-style clients put the IP in context; without the opt-in it must not travel.
    const { ip: _dropped, ...context } = event.context
    out.context = context
  }
  if (
    privacy.cookieless &&
    (event.anonymous_id === '' || event.anonymous_id === COOKIELESS_PLACEHOLDER) &&
    source.ip &&
    source.userAgent
  ) {
    out.anonymous_id = await cookielessVisitorId({
      salt: await saltFor(ctx.now),
      siteId: ctx.site.siteId,
      ip: source.ip,
      userAgent: source.userAgent,
    })
  }
  return out
}

/** Cloudflare defaults (trust request.cf, client IP `auto`); used when createApp gets no enricher. */
export function defaultEnricher(signingSecret: string, clientIp: ClientIpOf): Enricher {
  return createEnricher({
    trustCfGeo: true,
    clientIp,
    visitorSecret: `visitor-salt:${signingSecret}`,
  })
}
