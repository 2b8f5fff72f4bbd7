import type { EdgeBatch, EnrichedEvent } from '@sightline/contracts'
import { describe, expect, it } from 'vitest'
import { clientIpPolicy } from '../src/client-ip.ts'
import { SiteSchema } from '../src/config.ts'
import { staticSites } from '../src/sites.ts'
import { TEST_SITE } from './support/constants.ts'
import { bridgeLog, type ErrorJson, makeEvent, testApp, WRITE_KEY } from './support/harness.ts'

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
const BROWSER_HEADERS = {
  'user-agent': CHROME,
  'accept-language': 'nl-NL,nl;q=0.9,en;q=0.8',
  'sec-ch-ua': '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"',
  'sec-ch-ua-mobile': '?0',
  'sec-ch-ua-platform': '"Windows"',
  'sec-ch-ua-platform-version': '"15.0.0"',
  'cf-connecting-ip': '81.2.69.142',
}
const AMSTERDAM_CF = {
  colo: 'AMS',
  country: 'NL',
  city: 'Amsterdam',
  latitude: '52.37',
  asn: 1136,
  asOrganization: 'KPN',
}

type Privacy = { keep_ip?: boolean; cookieless?: boolean }

function siteApp(settings: { privacy?: Privacy; block_bots?: boolean } = {}) {
  const site = SiteSchema.parse({
    site_id: TEST_SITE.site_id,
    write_keys: [...TEST_SITE.write_keys],
    ...settings,
  })
  return testApp(['ok'], { sites: staticSites([site]) })
}

async function send(
  app: ReturnType<typeof testApp>['app'],
  events: Record<string, unknown>[],
  headers: Record<string, string> = BROWSER_HEADERS,
  // Cloudflare's own request.cf by default: there CF-Connecting-IP is the platform's.
  cf: Record<string, unknown> | undefined = AMSTERDAM_CF,
): Promise<Response> {
  return app.fetch(
    new Request('http://edge/v1/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}`, ...headers },
      body: JSON.stringify({ batch: events }),
      ...(cf ? { cf } : {}),
    } as RequestInit),
  )
}

async function forwarded(namespace: string): Promise<EdgeBatch> {
  // Refused-only batches are reported in the background: poll briefly.
  for (let i = 0; i < 50; i++) {
    const [attempt] = await bridgeLog(namespace)
    if (attempt?.batch) return attempt.batch
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error('the bridge got nothing')
}

async function firstEvent(namespace: string): Promise<EnrichedEvent> {
  const event = (await forwarded(namespace)).events[0]
  if (!event) throw new Error('no event forwarded')
  return event
}

describe('enrichment at the edge', () => {
  it('fills device (client hints win), a human verdict and geo from request.cf', async () => {
    const { app, namespace } = siteApp()
    expect((await send(app, [makeEvent()], BROWSER_HEADERS, AMSTERDAM_CF)).status).toBe(200)
    const event = await firstEvent(namespace)
    expect(event.device).toMatchObject({
      browser: 'Chrome',
      os: 'Windows',
      os_version: '11',
      device_type: 'desktop',
    })
    expect(event.bot).toEqual({ is_bot: false, score: 0, reasons: [] })
    expect(event.geo).toMatchObject({ country: 'NL', city: 'Amsterdam', latitude: 52.37, asn: 1136 })
    expect(event.edge).toMatchObject({ colo: 'AMS' })
    expect(event.user_agent).toBe(CHROME)
    // The raw IP stays at the edge; cf already answered geo, so nothing for the bridge either.
    expect(event.ip).toBeUndefined()
    expect(event.geo_ip).toBeUndefined()
  })

  it('labels bots with their reasons and still forwards them', async () => {
    const { app, namespace } = siteApp()
    const googlebot = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'
    const res = await send(app, [makeEvent()], { 'user-agent': googlebot, 'cf-connecting-ip': '66.249.66.1' })
    expect(res.status).toBe(200)
    const event = await firstEvent(namespace)
    expect(event.bot).toMatchObject({ is_bot: true, reasons: ['known_bot_ua'] })
    expect(event.device?.device_type).toBe('bot')
  })

  it('counts the SDK’s navigator.webdriver and a datacenter ASN', async () => {
    const { app, namespace } = siteApp()
    await send(app, [makeEvent({ context: { webdriver: true } })], BROWSER_HEADERS, {
      ...AMSTERDAM_CF,
      asn: 16509,
    })
    const event = await firstEvent(namespace)
    expect(event.bot?.is_bot).toBe(true)
    expect(event.bot?.reasons).toEqual(['webdriver', 'datacenter_asn'])
  })

  it('without usable request.cf, sends only the truncated IP for the bridge’s geo lookup', async () => {
    // Self-hosted behind a proxy: request.cf is wrangler's placeholder, the proxy names the client.
    const proxySecret = 'test-proxy-secret-0123456789abcdef'
    const site = SiteSchema.parse({ site_id: TEST_SITE.site_id, write_keys: [...TEST_SITE.write_keys] })
    const { app, namespace } = testApp(['ok'], {
      sites: staticSites([site]),
      clientIp: clientIpPolicy({ source: 'proxy', proxySecret, trustCfGeo: false }),
    })
    const placeholder = {
      colo: 'DFW',
      asn: 395747,
      postalCode: '78701',
      asOrganization: '',
      country: 'US',
      city: 'Austin',
    }
    const headers = {
      ...BROWSER_HEADERS,
      'x-real-ip': '81.2.69.142',
      'x-sightline-proxy-secret': proxySecret,
    }
    await send(app, [makeEvent({ context: { ip: '8.8.8.8' } })], headers, placeholder)
    const event = await firstEvent(namespace)
    expect(event.geo).toBeUndefined()
    expect(event.edge).toBeUndefined()
    expect(event.geo_ip).toBe('81.2.69.0')
    expect(event.ip).toBeUndefined()
    expect(event.context.ip).toBeUndefined()
  })

  it('ignores X-Forwarded-For unless told a trusted proxy sets it', async () => {
    const { app, namespace } = siteApp()
    await send(app, [makeEvent()], {
      ...BROWSER_HEADERS,
      'cf-connecting-ip': '',
      'x-forwarded-for': '81.2.69.142',
    })
    const event = await firstEvent(namespace)
    expect(event.geo_ip).toBeUndefined()
  })

  it('keeps the raw IP only when the site opts in', async () => {
    const { app, namespace } = siteApp({ privacy: { keep_ip: true } })
    await send(app, [makeEvent()])
    expect((await firstEvent(namespace)).ip).toBe('81.2.69.142')
  })

  it('derives a cookieless visitor id from the placeholder, stable for the same visitor', async () => {
    const ids: string[] = []
    for (const ua of [CHROME, CHROME, `${CHROME} Other`]) {
      const { app, namespace } = siteApp({ privacy: { cookieless: true } })
      await send(app, [makeEvent({ anonymous_id: '$cookieless' })], { ...BROWSER_HEADERS, 'user-agent': ua })
      ids.push((await firstEvent(namespace)).anonymous_id)
    }
    expect(ids[0]).toMatch(/^[0-9a-f]{64}$/)
    expect(ids[1]).toBe(ids[0])
    expect(ids[2]).not.toBe(ids[0])
  })

  it('leaves real anonymous ids alone in cookieless mode', async () => {
    const { app, namespace } = siteApp({ privacy: { cookieless: true } })
    await send(app, [makeEvent({ anonymous_id: 'anon-42' })])
    expect((await firstEvent(namespace)).anonymous_id).toBe('anon-42')
  })

  it('judges relayed server events by the end user’s UA and geolocates their context IP', async () => {
    const { app, namespace } = siteApp()
    const relayed = makeEvent({
      context: {
        userAgent: CHROME,
        ip: '2a00:1450:4001:82b::200e',
        library: { name: '@segment/analytics-node' },
      },
    })
    await send(
      app,
      [relayed],
      { 'user-agent': 'node', 'cf-connecting-ip': '3.5.140.2' },
      { ...AMSTERDAM_CF, asn: 16509 },
    )
    const event = await firstEvent(namespace)
    expect(event.bot).toEqual({ is_bot: false, score: 0, reasons: [] })
    expect(event.device).toMatchObject({ browser: 'Chrome', os: 'Windows' })
    // request.cf describes the server, not the visitor.
    expect(event.geo).toBeUndefined()
    expect(event.geo_ip).toBe('2a00:1450:4001::')
    expect(event.context.ip).toBeUndefined()
  })
})

describe('block_bots', () => {
  it('refuses bot events, keeps the rest and reports the refusals', async () => {
    const { app, namespace } = siteApp({ block_bots: true })
    const res = await send(app, [makeEvent(), makeEvent({ context: { webdriver: true } })])
    expect(res.status).toBe(200)
    const body = (await res.json()) as { accepted: number; rejected: Array<{ index: number; code: string }> }
    expect(body.accepted).toBe(1)
    expect(body.rejected).toEqual([expect.objectContaining({ index: 1, code: 'bot_blocked' })])
    const batch = await forwarded(namespace)
    expect(batch.events).toHaveLength(1)
    expect(batch.rejected).toEqual([expect.objectContaining({ index: 1, code: 'bot_blocked' })])
  })

  it('answers 403 bot_blocked when every event is refused, and still records them', async () => {
    const { app, namespace } = siteApp({ block_bots: true })
    const res = await send(app, [makeEvent(), makeEvent()], { 'user-agent': 'curl/8.5.0' })
    expect(res.status).toBe(403)
    const body = (await res.json()) as ErrorJson
    expect(body.error.code).toBe('bot_blocked')
    const batch = await forwarded(namespace)
    expect(batch.events).toHaveLength(0)
    expect(batch.rejected?.map((r) => r.code)).toEqual(['bot_blocked', 'bot_blocked'])
  })

  it('only labels when the site has not opted in', async () => {
    const { app, namespace } = siteApp()
    expect((await send(app, [makeEvent()], { 'user-agent': 'curl/8.5.0' })).status).toBe(200)
    expect((await firstEvent(namespace)).bot?.is_bot).toBe(true)
  })
})
