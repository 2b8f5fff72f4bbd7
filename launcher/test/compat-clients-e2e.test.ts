import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Analytics } from '@segment/analytics-node'
import { CHROMIUM_ARGS, chromiumPath, eventually } from '@sightline/testing'
import { sqlRows } from '@sightline/testing/sql'
import { openWarehouse } from '@sightline/warehouse'
import { chromium } from 'playwright-core'
import { PostHog } from 'posthog-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { trustedProxySecret } from '../src/edge-env.ts'
import { startCloudflareFront } from './cloudflare-front.ts'
import { launcherPorts, type RunningSightline, startSightline, stats } from './launcher-harness.ts'

// The client libraries of other ecosystems, unmodified, against a real Sightline (launcher →
// wrangler dev/workerd edge → hub with bridge, writer and chdb): Segment's Node SDK, PostHog's
// Node SDK, and a real headless Chromium using navigator.sendBeacon and a no-JS pixel.
// One launcher start for the whole file; rows are checked in ClickHouse after it stops.
const dataDir = mkdtempSync(join(tmpdir(), 'sightline-compat-'))
const run = crypto.randomUUID().slice(0, 8)
let running: RunningSightline | undefined
let page: Server | undefined
let front: Server | undefined

interface Row {
  ingest_path: string
  type: string
  event: string
  message_id: string
  anonymous_id: string
  user_id: string
  page_url: string
  page_referrer: string
  library_name: string
  browser: string
  os: string
  geo_country: string
  ip: string
  is_bot: boolean
  bot_score: number
  bot_reasons: string[]
  traits: string
  properties: string
}
let rows: Row[] = []
// A server SDK relays its visitor's address (Segment context.ip, PostHog $ip); this one is in GB.
const VISITOR_IP = '81.2.69.142'
// …and its visitor's browser, which device parsing and the bot verdict read instead of the SDK's.
const VISITOR_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'

afterAll(async () => {
  await running?.stop()
  page?.close()
  front?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

/** The test page: a beacon on load, and an image pixel in the markup (works without JS too). */
function pageHtml(edge: string, key: string): string {
  const beacon = JSON.stringify({
    write_key: key,
    batch: [
      { type: 'track', event: 'Beacon Sent', message_id: `beacon-${run}`, anonymous_id: `browser-${run}` },
    ],
  })
  return `<!doctype html><html><head><title>Compat</title></head><body>
<img id="px" src="${edge}/v1/p.gif?k=${key}&a=browser-${run}&m=pixel-${run}&u=${encodeURIComponent('https://site.example/landing?utm_source=e2e')}&r=${encodeURIComponent('https://ref.example/')}">
<script>
  window.beaconQueued = navigator.sendBeacon(${JSON.stringify(`${edge}/v1/b`)}, ${JSON.stringify(beacon)})
</script></body></html>`
}

describe('compatibility clients, end to end', () => {
  beforeAll(async () => {
    running = await startSightline(dataDir, await launcherPorts())
  })

  it('delivers events from Segment analytics-node, posthog-node and Chromium into ClickHouse', async () => {
    const e = running!.endpoints
    const key = e.sites[0]!.write_key

    // Segment: Basic auth with the write key, POST {batch, writeKey, sentAt} to /v1/batch.
    const statuses: number[] = []
    const segment = new Analytics({
      writeKey: key,
      host: e.edge,
      path: '/v1/batch',
      flushAt: 3,
      maxRetries: 2,
    })
    segment.on('http_response', (r) => statuses.push(r.status))
    segment.track({
      userId: `seg-user-${run}`,
      event: 'Segment Track',
      properties: { run },
      messageId: `seg-t-${run}`,
      context: { ip: VISITOR_IP, userAgent: VISITOR_UA },
    })
    segment.page({
      anonymousId: `seg-anon-${run}`,
      name: 'Pricing',
      properties: { url: 'https://site.example/pricing' },
      messageId: `seg-p-${run}`,
    })
    segment.identify({
      userId: `seg-user-${run}`,
      traits: { email: 'seg@example.com' },
      messageId: `seg-i-${run}`,
    })
    await segment.closeAndFlush({ timeout: 20_000 })
    expect(statuses).toEqual([200])

    // PostHog: POST /batch/ with a gzip body and api_key in it.
    const errors: unknown[] = []
    const posthog = new PostHog(key, { host: e.edge, flushAt: 1, flushInterval: 0, fetchRetryCount: 1 })
    posthog.on('error', (err) => errors.push(err))
    posthog.capture({
      distinctId: `ph-user-${run}`,
      event: 'PostHog Capture',
      properties: { run, $ip: VISITOR_IP, $raw_user_agent: VISITOR_UA },
    })
    posthog.identify({ distinctId: `ph-user-${run}`, properties: { $set: { email: 'ph@example.com' } } })
    await posthog.shutdown(20_000)
    expect(errors).toEqual([])

    // Chromium: a page from another origin sends a beacon (text/plain, no preflight) and loads a pixel.
    // Through a stand-in for Cloudflare's network, which tells the edge the visitor's address.
    const state = JSON.parse(readFileSync(join(dataDir, 'sightline.json'), 'utf8'))
    const cf = await startCloudflareFront(e.edge, VISITOR_IP, trustedProxySecret(state))
    front = cf.server
    page = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(pageHtml(cf.url, key)),
    )
    await new Promise<void>((resolve) => page!.listen(0, '127.0.0.1', resolve))
    const browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: ['--headless', ...CHROMIUM_ARGS],
    })
    try {
      const tab = await browser.newPage()
      const pixel = tab.waitForResponse((r) => r.url().includes('/v1/p.gif'))
      const beacon = tab.waitForRequest((r) => r.url().includes('/v1/b'))
      await tab.goto(`http://127.0.0.1:${(page.address() as AddressInfo).port}/`)
      expect(await tab.evaluate(() => (window as unknown as { beaconQueued: boolean }).beaconQueued)).toBe(
        true,
      )
      expect((await pixel).status()).toBe(200)
      await beacon
      // The beacon's answer is not observable from the page; its row below is the proof.
    } finally {
      await browser.close()
    }

    const expected = 3 + 2 + 2
    const seen = await eventually(
      () => stats(e),
      (s) => s.events >= expected,
      60_000,
    )
    expect(seen.events).toBeGreaterThanOrEqual(expected)

    expect(await running!.stop()).toBe(0)
    running = undefined
    const warehouse = await openWarehouse({
      mode: 'embedded',
      path: join(dataDir, 'chdb'),
      database: 'sightline',
    })
    rows = await sqlRows<Row>(
      warehouse,
      `SELECT ingest_path, type, event, message_id, anonymous_id, user_id, page_url, page_referrer,
              library_name, browser, os, geo_country, ip, is_bot, bot_score, bot_reasons,
              toJSONString(traits) AS traits, toJSONString(properties) AS properties
       FROM events WHERE position(message_id, '${run}') > 0 OR position(user_id, '${run}') > 0`,
    )
    await warehouse.close()

    const by = (path: string) => rows.filter((r) => r.ingest_path === path)
    expect(
      by('segment')
        .map((r) => r.type)
        .sort(),
    ).toEqual(['identify', 'page', 'track'])
    expect(by('segment').find((r) => r.type === 'track')).toMatchObject({
      event: 'Segment Track',
      user_id: `seg-user-${run}`,
      message_id: `seg-t-${run}`,
      library_name: '@segment/analytics-node',
    })
    expect(JSON.parse(by('segment').find((r) => r.type === 'identify')!.traits)).toMatchObject({
      email: 'seg@example.com',
    })
    expect(by('segment').find((r) => r.type === 'page')).toMatchObject({
      event: '$pageview',
      anonymous_id: `seg-anon-${run}`,
    })

    expect(
      by('posthog')
        .map((r) => r.type)
        .sort(),
    ).toEqual(['identify', 'track'])
    expect(by('posthog').find((r) => r.type === 'track')).toMatchObject({
      event: 'PostHog Capture',
      user_id: `ph-user-${run}`,
      library_name: 'posthog-node',
    })
    expect(JSON.parse(by('posthog').find((r) => r.type === 'identify')!.traits)).toMatchObject({
      email: 'ph@example.com',
    })

    expect(by('beacon')).toEqual([
      expect.objectContaining({ event: 'Beacon Sent', message_id: `beacon-${run}` }),
    ])
    expect(by('pixel')).toEqual([
      expect.objectContaining({
        type: 'page',
        message_id: `pixel-${run}`,
        anonymous_id: `browser-${run}`,
        page_url: 'https://site.example/landing?utm_source=e2e',
        page_referrer: 'https://ref.example/',
      }),
    ])
  })

  // Geo, device and bot fields come from the enrichment step (built in parallel); these
  // check they reach ClickHouse through the compatibility surfaces.
  it('fills device and bot fields on the browser rows (enrichment)', () => {
    const browserRows = rows.filter((r) => r.ingest_path === 'beacon' || r.ingest_path === 'pixel')
    expect(browserRows).toHaveLength(2)
    for (const row of browserRows) {
      expect(row.browser, row.ingest_path).not.toBe('')
      expect(row.os, row.ingest_path).not.toBe('')
      // Headless Chromium: labelled, not dropped, with the reasons kept.
      expect(row.is_bot, row.ingest_path).toBe(true)
      expect(row.bot_reasons.length, row.ingest_path).toBeGreaterThan(0)
    }
  })

  it('fills geo, device and bot fields from the visitor a server SDK relays (IP and user agent)', () => {
    const relayed = rows.filter((r) => r.event === 'Segment Track' || r.event === 'PostHog Capture')
    expect(relayed).toHaveLength(2)
    for (const row of relayed) {
      expect(row.geo_country, row.ingest_path).toBe('GB')
      expect(row.os, row.ingest_path).toBe('iOS')
      expect(row.browser, row.ingest_path).toContain('Safari')
      // A real phone's browser relayed by a server: judged human, verdict still recorded.
      expect(row.is_bot, row.ingest_path).toBe(false)
      expect(typeof row.bot_score, row.ingest_path).toBe('number')
    }
  })

  it('fills geo on browser rows from the visitor address (bridge lookup in DB-IP, IP not stored)', () => {
    const browserRows = rows.filter((r) => r.ingest_path === 'beacon' || r.ingest_path === 'pixel')
    expect(browserRows.map((r) => r.geo_country)).toEqual(['GB', 'GB'])
    // The demo site keeps no raw IPs: the address served the lookup and was dropped.
    expect(browserRows.map((r) => r.ip)).toEqual(['', ''])
  })
})
