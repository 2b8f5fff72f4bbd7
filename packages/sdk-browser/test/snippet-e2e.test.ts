import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually } from '@sightline/testing'
import { sqlRows } from '@sightline/testing/sql'
import { openWarehouse } from '@sightline/warehouse'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import {
  launcherPorts,
  type RunningSightline,
  startSightline,
} from '../../../launcher/test/launcher-harness.ts'
import { type FlakyEdge, startFlakyEdge } from '../../sdk-node/test/flaky-edge.ts'
import { launchChromium, openWithTracker } from './chromium.ts'

// The one-line snippet in a real Chromium against a real Sightline (launcher → wrangler dev /
// workerd edge → hub with bridge, writer and chdb). A proxy in front of the edge can inject
// 503s; the page loads s.js through it, so the tracker's endpoint is the script's origin, as
// for a site owner who pastes the snippet. Rows are checked in ClickHouse once the stack stops.
const dataDir = mkdtempSync(join(tmpdir(), 'sightline-sdk-browser-'))
let running: RunningSightline | undefined
let edge: FlakyEdge | undefined
let site: Server | undefined
let browser: Browser | undefined

afterAll(async () => {
  await browser?.close()
  await running?.stop()
  await edge?.close()
  site?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

interface Row {
  type: string
  event: string
  message_id: string
  anonymous_id: string
  user_id: string
  page_path: string
  page_referrer: string
  utm_source: string
  utm_medium: string
  utm_campaign: string
  library_name: string
  bot_reasons: string[]
  properties: string
  traits: string
}

/**
 * Any path answers the same page (an SPA) holding `snippet`, the line the launcher printed;
 * `/dnt/…` pages also ask the tracker to honour DNT/GPC.
 */
function startSite(edgeUrl: string, snippet: string): Promise<Server> {
  const server = createServer((req, res) => {
    const tag = req.url?.startsWith('/dnt')
      ? snippet.replace('></script>', ' data-respect-dnt></script>')
      : snippet
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><html><head><title>Shop</title>
${tag}
<script defer src="${edgeUrl}/s/outbound.js"></script>
<script defer src="${edgeUrl}/s/automation.js"></script>
</head><body><a id="out" href="https://outbound.example/away">away</a></body></html>`)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

type Sightline = {
  track(e: string, p?: object): void
  identify(u: string, t?: object): void
  reset(): void
  optOut(): void
}
const sl = (tab: Page) => (fn: (s: Sightline) => void) => tab.evaluate(`(${fn.toString()})(window.sightline)`)

/** Events the tracker holds in its offline queue (localStorage), across all its keys. */
const stored = (tab: Page) =>
  tab.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith('slq:'))
      .flatMap((k) => JSON.parse(localStorage.getItem(k)!) as { event?: string; type: string }[]),
  )

async function drained(tab: Page): Promise<void> {
  await eventually(
    () => stored(tab),
    (q) => q.length === 0,
    20_000,
  )
}

/** Proxy log entries that reached the edge (204) and carried `text`. */
const delivered = (text: string) => edge!.log.filter((r) => r.status === 204 && r.body.includes(text))

describe('browser SDK, one-line snippet in a real Chromium', () => {
  let rows: Row[] = []
  let context: BrowserContext
  /** The checks below read what the first test stored; without it they say so, once each. */
  const needRows = () => {
    if (!rows.length) throw new Error('no rows: the first test of this file failed; see its error')
    return rows
  }

  it('delivers pageviews, SPA navigation, offline events and page-close events exactly once', async () => {
    // First, so a missing browser fails fast with its one clear line.
    browser = await launchChromium()
    running = await startSightline(dataDir, await launcherPorts())
    const { examples, sites } = running.endpoints
    const snippet = `<script defer src="${running.endpoints.edge}/s.js" data-key="${sites[0]!.write_key}"></script>`
    expect(examples.snippet).toBe(snippet)
    expect(running.output()).toContain(snippet)
    edge = await startFlakyEdge(running.endpoints.edge)
    // The printed line, pointed at the proxy in front of the edge (it serves s.js too).
    site = await startSite(edge.url, snippet.replace(running.endpoints.edge, edge.url))
    const origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`
    context = await browser.newContext()
    await context.route('https://outbound.example/**', (r) =>
      r.fulfill({ status: 200, contentType: 'text/html', body: '<p>elsewhere</p>' }),
    )

    // Landing with UTM, then SPA navigation: push, replace (same path: no view; new path: a view), back.
    const tab = await context.newPage()
    await openWithTracker(tab, `${origin}/landing?utm_source=news&utm_medium=email&utm_campaign=launch`)
    await tab.evaluate(() => history.pushState({}, '', '/pricing'))
    await tab.evaluate(() => history.replaceState({}, '', '/pricing?tab=yearly'))
    await tab.evaluate(() => history.replaceState({}, '', '/plans'))
    await tab.evaluate(() => history.back())
    await tab.waitForURL(/\/landing/)
    await sl(tab)((s) => {
      s.identify('user-42', { plan: 'pro' })
      s.track('Signup Clicked', { plan: 'pro' })
      s.reset()
    })
    await drained(tab)

    // Offline: nothing can leave; the events wait in localStorage.
    await context.setOffline(true)
    await sl(tab)((s) => s.track('Offline A'))
    await tab.evaluate(() => history.pushState({}, '', '/offline'))
    await sl(tab)((s) => s.track('Offline B'))
    await new Promise((r) => setTimeout(r, 1_500))
    expect((await stored(tab)).map((e) => e.event ?? e.type)).toEqual(['Offline A', 'page', 'Offline B'])

    // Back online, into an edge that answers 503 + Retry-After: 1 twice before it recovers.
    edge.failNext(2, 503, 1)
    const postsBefore = edge.log.filter((r) => r.method === 'POST').length
    await context.setOffline(false)
    await drained(tab)
    const posts = edge.log.filter((r) => r.method === 'POST').slice(postsBefore)
    expect(posts.map((p) => p.status).slice(0, 3)).toEqual([503, 503, 204])
    // Retry-After was honoured: each retry waited about a second, not the 0.5-1 s first backoff.
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(950)
    expect(posts[2]!.at - posts[1]!.at).toBeGreaterThanOrEqual(950)

    // An event queued just before the visitor leaves by an outbound link: the page-hide beacon carries it.
    await sl(tab)((s) => s.track('Before Close'))
    await tab.click('#out')
    await tab.waitForURL('https://outbound.example/away')
    await eventually(
      async () => delivered('Before Close').length,
      (n) => n > 0,
      20_000,
    )
    expect(delivered('Outbound Link').length).toBeGreaterThan(0)

    // Closed while offline: the event stays stored and the next page load sends it.
    const second = await context.newPage()
    await second.goto(`${origin}/stranded`)
    await drained(second)
    await context.setOffline(true)
    await sl(second)((s) => s.track('Stranded'))
    // With runBeforeUnload, close() returns before the page is gone; wait for it, or setOffline
    // below can race the closing page.
    const secondClosed = second.waitForEvent('close')
    await second.close({ runBeforeUnload: true })
    await secondClosed
    await context.setOffline(false)
    const third = await context.newPage()
    await third.goto(`${origin}/back`)
    await drained(third)

    // Opted out: nothing more is sent from this browser.
    await sl(third)((s) => {
      s.optOut()
      s.track('Opted Out')
    })
    await new Promise((r) => setTimeout(r, 1_500))
    expect(edge.log.some((r) => r.body.includes('Opted Out'))).toBe(false)

    // Global Privacy Control on a site that honours it (another origin, so no opt-out carries over).
    const gpc = await context.newPage()
    await gpc.addInitScript(() =>
      Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }),
    )
    const postsBeforeGpc = edge.log.filter((r) => r.method === 'POST').length
    await openWithTracker(gpc, `${origin.replace('127.0.0.1', 'localhost')}/dnt/home`)
    await sl(gpc)((s) => s.track('Private'))
    await new Promise((r) => setTimeout(r, 1_500))
    expect(edge.log.filter((r) => r.method === 'POST').length).toBe(postsBeforeGpc)

    await browser.close()
    browser = undefined
    expect(await running.stop()).toBe(0)
    running = undefined
    const warehouse = await openWarehouse({
      mode: 'embedded',
      path: join(dataDir, 'chdb'),
      database: 'sightline',
    })
    rows = await sqlRows<Row>(
      warehouse,
      `SELECT type, event, message_id, anonymous_id, user_id, page_path, page_referrer, utm_source,
              utm_medium, utm_campaign, library_name, bot_reasons,
              toJSONString(properties) AS properties, toJSONString(traits) AS traits
       FROM events WHERE library_name = 'sightline-browser' ORDER BY client_ts, message_id`,
    )
    await warehouse.close()

    const names = rows.map((r) => (r.type === 'page' ? `page ${r.page_path}` : r.event))
    expect(names.sort()).toEqual(
      [
        'page /landing',
        'page /pricing',
        'page /plans',
        'page /landing',
        '$identify',
        'Signup Clicked',
        'Offline A',
        'page /offline',
        'Offline B',
        'Before Close',
        'Outbound Link',
        'page /stranded',
        'Stranded',
        'page /back',
      ].sort(),
    )
    // Exactly once: every message_id is one row, although some were sent more than once.
    expect(new Set(rows.map((r) => r.message_id)).size).toBe(rows.length)
  })

  it('records UTM fields and referrers as the visitor navigated', () => {
    needRows()
    const views = rows.filter((r) => r.type === 'page')
    const landing = views.filter((r) => r.page_path === '/landing')
    expect(landing).toHaveLength(2)
    for (const row of landing) {
      expect(row).toMatchObject({ utm_source: 'news', utm_medium: 'email', utm_campaign: 'launch' })
    }
    const pricing = views.find((r) => r.page_path === '/pricing')!
    expect(pricing.page_referrer).toMatch(/\/landing\?utm_source=news/)
    expect(pricing.utm_source).toBe('')
    expect(views.find((r) => r.page_path === '/plans')!.page_referrer).toMatch(/\/pricing$/)
  })

  it('ties identify to the user and starts a new anonymous id after reset', () => {
    needRows()
    const identify = rows.find((r) => r.type === 'identify')!
    const signup = rows.find((r) => r.event === 'Signup Clicked')!
    expect(identify.user_id).toBe('user-42')
    expect(JSON.parse(identify.traits)).toMatchObject({ plan: 'pro' })
    expect(signup).toMatchObject({ user_id: 'user-42', anonymous_id: identify.anonymous_id })
    expect(JSON.parse(signup.properties)).toMatchObject({ plan: 'pro' })
    const after = rows.find((r) => r.event === 'Offline A')!
    expect(after.user_id).toBe('')
    expect(after.anonymous_id).not.toBe(identify.anonymous_id)
  })

  it('carries the outbound link and the automation signal (bot reason webdriver)', () => {
    needRows()
    const outbound = rows.find((r) => r.event === 'Outbound Link')!
    expect(JSON.parse(outbound.properties)).toEqual({ url: 'https://outbound.example/away' })
    for (const row of rows) expect(row.bot_reasons, row.event).toContain('webdriver')
  })
})
