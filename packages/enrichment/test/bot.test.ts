import { describe, expect, it } from 'vitest'
import { BOT_THRESHOLD, type BotSignals, scoreBot } from '../src/bot.ts'

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0'

const human: BotSignals = {
  userAgent: CHROME,
  fromBrowser: true,
  acceptLanguage: 'en-US,en;q=0.9',
  asn: 3320,
}

describe('scoreBot', () => {
  it('a plain browser request is human with no reasons', () => {
    expect(scoreBot(human)).toEqual({ is_bot: false, score: 0, reasons: [] })
  })

  it.each([
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'known_bot_ua'],
    ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 'known_bot_ua'],
    ['Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2)', 'known_bot_ua'],
    ['curl/8.5.0', 'generic_bot_ua'],
    ['python-requests/2.31.0', 'generic_bot_ua'],
    ['Go-http-client/1.1', 'generic_bot_ua'],
    ['Wget/1.21.4', 'generic_bot_ua'],
    ['my-little-crawler/0.1', 'generic_bot_ua'],
  ])('%s → %s', (userAgent, reason) => {
    const verdict = scoreBot({ ...human, userAgent })
    expect(verdict.reasons).toContain(reason)
    expect(verdict.is_bot).toBe(true)
  })

  it('does not mistake a Cubot phone for a bot', () => {
    const ua =
      'Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36'
    expect(scoreBot({ ...human, userAgent: ua }).is_bot).toBe(false)
  })

  it('flags headless browsers and automation frameworks', () => {
    const headless = CHROME.replace('Chrome/', 'HeadlessChrome/')
    expect(scoreBot({ ...human, userAgent: headless }).reasons).toContain('headless_browser')
    expect(scoreBot({ ...human, userAgent: `${CHROME} PhantomJS/2.1.1` }).reasons).toContain(
      'headless_browser',
    )
    expect(scoreBot({ ...human, userAgent: `${CHROME} Selenium` }).reasons).toContain('automation_tool')
    const webdriver = scoreBot({ ...human, webdriver: true })
    expect(webdriver).toMatchObject({ is_bot: true, reasons: ['webdriver'] })
  })

  it('flags missing and implausible headers', () => {
    expect(scoreBot({ ...human, userAgent: undefined })).toMatchObject({
      is_bot: true,
      reasons: ['missing_user_agent'],
    })
    const noLang = scoreBot({ ...human, acceptLanguage: undefined })
    expect(noLang).toMatchObject({ is_bot: false, reasons: ['missing_accept_language'] })
    const forgedHints = scoreBot({
      ...human,
      userAgent: FIREFOX,
      secChUa: '"Chromium";v="124"',
      secChUaMajor: 124,
    })
    expect(forgedHints.reasons).toEqual(['client_hints_mismatch'])
    const wrongMajor = scoreBot({ ...human, secChUa: '"Chromium";v="99"', secChUaMajor: 99 })
    expect(wrongMajor.reasons).toEqual(['client_hints_mismatch'])
    expect(scoreBot({ ...human, secChUa: '"Chromium";v="124"', secChUaMajor: 124 }).reasons).toEqual([])
  })

  it('datacenter ASN alone is a label, with a missing Accept-Language it is a bot', () => {
    const dc = scoreBot({ ...human, asn: 16509 })
    expect(dc).toMatchObject({ is_bot: false, reasons: ['datacenter_asn'] })
    const both = scoreBot({ ...human, asn: 14061, acceptLanguage: undefined })
    expect(both.is_bot).toBe(true)
    expect(both.score).toBeGreaterThanOrEqual(BOT_THRESHOLD)
    expect(both.reasons).toEqual(['missing_accept_language', 'datacenter_asn'])
  })

  it('uses Cloudflare Bot Management when present', () => {
    expect(scoreBot({ ...human, botManagement: { score: 1 } }).reasons).toEqual(['cf_bot_score_automated'])
    expect(scoreBot({ ...human, botManagement: { score: 15 } })).toMatchObject({
      is_bot: true,
      reasons: ['cf_bot_score_likely'],
    })
    expect(scoreBot({ ...human, botManagement: { score: 90 } }).reasons).toEqual([])
    expect(scoreBot({ ...human, botManagement: { verifiedBot: true } })).toMatchObject({
      is_bot: true,
      score: 100,
      reasons: ['cf_verified_bot'],
    })
  })

  it('takes a request rate from the caller', () => {
    expect(scoreBot({ ...human, requestsPerMinute: 10 }).reasons).toEqual([])
    expect(scoreBot({ ...human, requestsPerMinute: 200 }).reasons).toEqual(['request_rate_high'])
    expect(scoreBot({ ...human, requestsPerMinute: 1000, rateThreshold: 100 })).toMatchObject({
      is_bot: true,
      reasons: ['request_rate_extreme'],
    })
  })

  it('skips header checks for events relayed by a server', () => {
    const relayed = scoreBot({ userAgent: CHROME, fromBrowser: false, asn: 16509 })
    expect(relayed).toEqual({ is_bot: false, score: 0, reasons: [] })
  })

  it('keeps the score within 0–100 however many signals fire', () => {
    const v = scoreBot({
      userAgent: 'HeadlessChrome/1 Selenium Googlebot',
      fromBrowser: true,
      asn: 16509,
      webdriver: true,
      botManagement: { score: 1, verifiedBot: true },
      requestsPerMinute: 10_000,
    })
    expect(v.score).toBe(100)
    expect(v.reasons.length).toBeGreaterThan(4)
  })
})
