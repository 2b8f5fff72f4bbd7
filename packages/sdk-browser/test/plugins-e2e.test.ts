import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually } from '@sightline/testing'
import { sqlRows } from '@sightline/testing/sql'
import { openWarehouse } from '@sightline/warehouse'
import type { Browser } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import {
  launcherPorts,
  type RunningSightline,
  startSightline,
  stats,
} from '../../../launcher/test/launcher-harness.ts'
import { launchChromium, openWithTracker } from './chromium.ts'

// The optional plugins (file downloads, scroll depth, web vitals) in a real Chromium against
// a launched Sightline, each loaded by its own tag after the core, as docs/sdk.md shows.
const dataDir = mkdtempSync(join(tmpdir(), 'sightline-sdk-plugins-'))
let running: RunningSightline | undefined
let site: Server | undefined
let browser: Browser | undefined

afterAll(async () => {
  await browser?.close()
  await running?.stop()
  site?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

function startSite(edge: string, key: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/files/')) {
      res
        .writeHead(200, { 'content-type': 'application/pdf', 'content-disposition': 'attachment' })
        .end('%PDF-1.4')
      return
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><html><head><title>Article</title>
<script defer src="${edge}/s.js" data-key="${key}"></script>
<script defer src="${edge}/s/downloads.js"></script>
<script defer src="${edge}/s/scroll.js"></script>
<script defer src="${edge}/s/web-vitals.js"></script>
</head><body style="margin:0">
<h1>An article long enough to scroll</h1>
<a id="dl" href="/files/report.pdf">report</a>
<button id="slow" onclick="const t = performance.now(); while (performance.now() - t < 120) {}">slow</button>
<div style="height: 4000px">content</div>
<script>setTimeout(() => document.body.prepend(Object.assign(document.createElement('div'), { style: 'height:200px', textContent: 'late banner' })), 300)</script>
</body></html>`)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

interface Row {
  type: string
  event: string
  page_path: string
  properties: string
}

describe('browser SDK plugins in a real Chromium', () => {
  it('tracks a file download, scroll depth per SPA path and web vitals, sent as the page closes', async () => {
    // First, so a missing browser fails fast with its one clear line.
    browser = await launchChromium()
    running = await startSightline(dataDir, await launcherPorts())
    const { edge, sites } = running.endpoints
    site = await startSite(edge, sites[0]!.write_key)
    const origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`
    const context = await browser.newContext({ viewport: { width: 800, height: 600 } })
    const tab = await context.newPage()
    await openWithTracker(tab, `${origin}/article`)
    await tab.waitForTimeout(600) // the late banner shifts the layout (CLS)

    const download = tab.waitForEvent('download')
    await tab.click('#dl')
    await download
    await tab.click('#slow')
    await tab.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight))
    await eventually(
      () => tab.evaluate(() => window.scrollY),
      (y) => y > 3000,
    )
    await tab.waitForTimeout(100)
    // An SPA navigation reports the first path's depth; the new view starts at the top.
    await tab.evaluate(() => {
      history.pushState({}, '', '/next')
      window.scrollTo(0, 0)
    })
    await tab.waitForTimeout(100)
    const closed = tab.waitForEvent('close')
    await tab.close({ runBeforeUnload: true })
    await closed

    // 2 pageviews, the download, 2 scroll depths and the vitals: wait until the writer has them all.
    await eventually(
      () => stats(running!.endpoints),
      (s) => s.events >= 6,
      30_000,
    )
    await browser.close()
    browser = undefined
    expect(await running.stop()).toBe(0)
    running = undefined
    const warehouse = await openWarehouse({
      mode: 'embedded',
      path: join(dataDir, 'chdb'),
      database: 'sightline',
    })
    const stored = await sqlRows<Row>(
      warehouse,
      `SELECT type, event, page_path, toJSONString(properties) AS properties FROM events
       WHERE library_name = 'sightline-browser' ORDER BY client_ts`,
    )
    await warehouse.close()
    const named = (name: string) =>
      stored.filter((r) => r.event === name).map((r) => JSON.parse(r.properties))

    expect(stored.filter((r) => r.type === 'page').map((r) => r.page_path)).toEqual(['/article', '/next'])
    expect(named('File Download')).toEqual([{ url: `${origin}/files/report.pdf` }])
    const depths = named('Scroll Depth')
    expect(depths).toHaveLength(2)
    expect(depths[0]).toEqual({ depth: 100, path: '/article' })
    expect(depths[1].path).toBe('/next')
    expect(depths[1].depth).toBeGreaterThan(0)
    expect(depths[1].depth).toBeLessThan(30)
    const [vitals] = named('Web Vitals')
    expect(vitals).toBeDefined()
    expect(vitals.path).toBe('/next')
    expect(vitals.ttfb).toBeGreaterThanOrEqual(0)
    expect(vitals.fcp).toBeGreaterThan(0)
    expect(vitals.lcp).toBeGreaterThanOrEqual(vitals.fcp)
    expect(vitals.cls).toBeGreaterThan(0)
    expect(vitals.inp).toBeGreaterThanOrEqual(100)
  })
})
