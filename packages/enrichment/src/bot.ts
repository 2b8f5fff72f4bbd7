import type { BotVerdict } from '@sightline/contracts'
import { datacenterName } from './asn.ts'
import { AUTOMATION, GENERIC_BOT, HEADLESS, knownBotName } from './bot-patterns.ts'

/**
 * Everything the verdict looks at. Header-derived fields are only meaningful when the
 * request came from the visitor's own browser: a server SDK relaying an event has no
 * Accept-Language and sits in a datacenter by design, so its caller leaves them out and
 * sets `fromBrowser: false`.
 */
export interface BotSignals {
  userAgent?: string
  /** True when the request itself came from the visitor's browser (header checks apply). */
  fromBrowser: boolean
  acceptLanguage?: string
  /** Raw `Sec-CH-UA` header, checked against the UA string. */
  secChUa?: string
  /** Major version the Sec-CH-UA brand claims. */
  secChUaMajor?: number
  asn?: number
  /** `request.cf.botManagement`, present on Cloudflare plans that have it. */
  botManagement?: { score?: number; verifiedBot?: boolean }
  /** `navigator.webdriver` as reported by the browser SDK. */
  webdriver?: boolean
  /** Requests per minute seen from this client (the caller measures; undefined = unknown). */
  requestsPerMinute?: number
  /** At or above this rate a client looks automated. */
  rateThreshold?: number
}

/** Each reason's weight: how sure that signal alone makes us (0–100). */
export const BOT_REASONS = {
  known_bot_ua: 100,
  cf_verified_bot: 100,
  automation_tool: 95,
  webdriver: 95,
  headless_browser: 90,
  generic_bot_ua: 90,
  cf_bot_score_automated: 95,
  cf_bot_score_likely: 60,
  missing_user_agent: 70,
  request_rate_extreme: 70,
  client_hints_mismatch: 45,
  datacenter_asn: 40,
  request_rate_high: 35,
  missing_accept_language: 30,
} as const
export type BotReason = keyof typeof BOT_REASONS

/** A score at or above this is a bot. Two weak signals together (e.g. datacenter + no Accept-Language) pass it. */
export const BOT_THRESHOLD = 50
const DEFAULT_RATE_THRESHOLD = 120

function chromeMajor(userAgent: string): number | undefined {
  const m = /(?:Chrome|Chromium|CriOS|Edg|HeadlessChrome)\/(\d{1,4})/.exec(userAgent)
  return m ? Number(m[1]) : undefined
}

function collectReasons(s: BotSignals): BotReason[] {
  const reasons: BotReason[] = []
  const ua = s.userAgent ?? ''
  if (ua === '') reasons.push('missing_user_agent')
  else {
    if (knownBotName(ua)) reasons.push('known_bot_ua')
    else if (GENERIC_BOT.test(ua)) reasons.push('generic_bot_ua')
    if (HEADLESS.test(ua)) reasons.push('headless_browser')
    if (AUTOMATION.test(ua)) reasons.push('automation_tool')
  }
  if (s.webdriver === true) reasons.push('webdriver')
  if (s.fromBrowser && ua !== '' && reasons.length === 0) {
    if (!s.acceptLanguage) reasons.push('missing_accept_language')
    if (s.secChUa !== undefined) {
      // Only Chromium sends Sec-CH-UA; on a Firefox/Safari UA, or with another major, someone forged one of them.
      const uaMajor = chromeMajor(ua)
      if (uaMajor === undefined || (s.secChUaMajor !== undefined && s.secChUaMajor !== uaMajor)) {
        reasons.push('client_hints_mismatch')
      }
    }
  }
  if (s.fromBrowser && datacenterName(s.asn)) reasons.push('datacenter_asn')
  const bm = s.botManagement
  if (bm?.verifiedBot === true) reasons.push('cf_verified_bot')
  if (typeof bm?.score === 'number' && bm.score >= 1 && bm.score < 30) {
    // Cloudflare: 1 = automated, 2–29 = likely automated.
    reasons.push(bm.score <= 1 ? 'cf_bot_score_automated' : 'cf_bot_score_likely')
  }
  const rate = s.requestsPerMinute
  if (typeof rate === 'number' && Number.isFinite(rate)) {
    const limit = s.rateThreshold ?? DEFAULT_RATE_THRESHOLD
    if (rate >= limit * 3) reasons.push('request_rate_extreme')
    else if (rate >= limit) reasons.push('request_rate_high')
  }
  return reasons
}

/**
 * Scores how likely a request is automated. Signals combine like independent evidence
 * (1 − Π(1 − wᵢ)), so weak hints add up without any single weak one deciding. The
 * verdict labels the event; dropping is a per-site choice made by the caller.
 */
export function scoreBot(signals: BotSignals): BotVerdict {
  return verdictOf(collectReasons(signals))
}

/**
 * One verdict from several (the relaying request's and the end user's): the reasons of
 * both count, so adding a verdict can only raise the score, never lower it.
 */
export function mergeVerdicts(...verdicts: readonly BotVerdict[]): BotVerdict {
  const reasons = new Set<BotReason>()
  for (const verdict of verdicts) {
    for (const reason of verdict.reasons)
      if (Object.hasOwn(BOT_REASONS, reason)) reasons.add(reason as BotReason)
  }
  return verdictOf([...reasons])
}

function verdictOf(reasons: BotReason[]): BotVerdict {
  let human = 1
  for (const reason of reasons) human *= 1 - BOT_REASONS[reason] / 100
  const score = Math.round((1 - human) * 100)
  return { is_bot: score >= BOT_THRESHOLD, score, reasons }
}
