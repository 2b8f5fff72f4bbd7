import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { IngestResponse } from '@sightline/query-service'
import { CHROMIUM_ARGS, chromiumPath, eventually } from '@sightline/testing'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launcherPorts, type RunningSightline, startSightline } from './launcher-harness.ts'

// The dashboard in a real Chromium against one launched Sightline (launcher → workerd edge →
// hub → chdb), with events sent through the edge. Every number the page shows is compared
// with what the API answers for the same question, and the headline counts also with the
// visitors this file sent. One stack for the whole file.
const dataDir = mkdtempSync(join(tmpdir(), 'sightline-dashboard-'))
const run = crypto.randomUUID().slice(0, 8)
// Screenshots go to .tmp/screenshots; UPDATE_SCREENSHOTS=1 writes the README's copies.
const shots = process.env.UPDATE_SCREENSHOTS
  ? join(import.meta.dirname, '..', '..', 'docs', 'screenshots')
  : join(import.meta.dirname, '..', '..', '.tmp', 'screenshots')
mkdirSync(shots, { recursive: true })
const CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

let running: RunningSightline
let browser: Browser
let context: BrowserContext
let page: Page
let readKey: string
let site: string
const consoleErrors: string[] = []
const foreign: string[] = []

interface Visit {
  person: string
  paths: string[]
  referrer?: string
  campaign?: { source: string; medium: string; name: string }
}
// Four people, six page views: the ground truth the headline numbers are checked against.
const VISITS: Visit[] = [
  { person: `a-${run}`, paths: ['/', '/pricing'], referrer: 'https://www.google.com/' },
  { person: `b-${run}`, paths: ['/'], referrer: 'https://news.ycombinator.com/item?id=1' },
  { person: `c-${run}`, paths: ['/blog/launch'] },
  {
    person: `d-${run}`,
    paths: ['/pricing', '/signup'],
    campaign: { source: 'newsletter', medium: 'email', name: 'launch' },
  },
]

/** The visits' page views through the edge, plus any `extra` events in the same batch. */
async function send(visits: Visit[], extra: object[] = []): Promise<void> {
  const views = visits.flatMap((v) =>
    v.paths.map((path, i) => ({
      type: 'page',
      message_id: `${v.person}-${i}`,
      anonymous_id: v.person,
      context: {
        page: {
          path,
          url: `https://example.test${path}`,
          ...(v.referrer && i === 0 ? { referrer: v.referrer } : {}),
        },
        ...(v.campaign ? { campaign: v.campaign } : {}),
      },
    })),
  )
  const batch = [...views, ...extra]
  const res = await fetch(`${running.endpoints.edge}/v1/batch`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${btoa(`${running.endpoints.sites[0]!.write_key}:`)}`,
      // A browser's User-Agent: a script's would be labelled a bot and left out of the numbers.
      'user-agent': CHROME_UA,
    },
    body: JSON.stringify({ batch }),
  })
  expect(res.status).toBe(200)
}

async function api<T>(path: string, params: Record<string, string>): Promise<T> {
  const res = await fetch(
    `${running.endpoints.query}/v1/sites/${site}/${path}?${new URLSearchParams(params)}`,
    {
      headers: { authorization: `Bearer ${readKey}` },
    },
  )
  expect(res.status, path).toBe(200)
  return (await res.json()) as T
}

/** "Last 7 days" in the browser's zone (UTC here): six days before today, through tonight. */
function last7Days(now = new Date()) {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  return {
    from: new Date(midnight - 6 * 86_400_000).toISOString(),
    to: new Date(midnight + 86_400_000).toISOString(),
  }
}

const en = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
function shown(metric: string, value: number): string {
  if (metric === 'bounce_rate') return `${Math.round(value * 100)}%`
  if (metric === 'visit_duration_s') {
    const s = Math.round(value)
    return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`
  }
  return en.format(value)
}

/** A canary lag as the Ingestion view writes it (dashboard/src/format.ts). */
function lagShown(ms: number): string {
  if (ms < 0) return `-${lagShown(-ms)}`
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`
  return `${Math.round(ms / 60_000)} min`
}

/** Room for queries on a loaded two-core machine. */
const SLOW = { timeout: 30_000 }
const statText = (p: Page, metric: string) => p.locator(`[data-metric="${metric}"] .stat-value`).textContent()
const statNote = (p: Page, metric: string) =>
  p.locator(`[data-metric="${metric}"] .stat-change`).textContent()

function watch(p: Page) {
  const origin = new URL(running.endpoints.query)
  p.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  p.on('pageerror', (err) => consoleErrors.push(String(err)))
  p.on('request', (r) => {
    const url = new URL(r.url())
    if (url.protocol === 'data:') return
    if (url.host !== origin.host) foreign.push(r.url())
  })
  p.on('websocket', (ws) => {
    if (new URL(ws.url()).host !== origin.host) foreign.push(ws.url())
  })
}

beforeAll(async () => {
  running = await startSightline(dataDir, await launcherPorts())
  readKey = running.endpoints.sites[0]!.read_key!
  site = running.endpoints.sites[0]!.site_id
  await send(VISITS)
  await eventually(
    () => api<{ visitors: number }>('stats', last7Days()),
    (s) => s.visitors === VISITS.length,
    60_000,
  )
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--headless', ...CHROMIUM_ARGS] })
  context = await browser.newContext({
    locale: 'en-US',
    timezoneId: 'UTC',
    viewport: { width: 1280, height: 900 },
  })
  page = await context.newPage()
  watch(page)
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await running?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('the dashboard in Chromium', () => {
  it('prints its URL in the banner and refuses a wrong key at sign-in', async () => {
    expect(running.output()).toContain(`Dashboard     ${running.endpoints.query}/dashboard/`)
    await page.goto(running.endpoints.dashboard)
    await page.getByLabel('Read key').fill('rk_not_a_key_at_all_000')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.getByRole('alert').textContent(), SLOW).toContain('not recognised')
    // Chromium logs the refused request itself; that one error is the expected one.
    expect(consoleErrors).toEqual([
      'Failed to load resource: the server responded with a status of 401 (Unauthorized)',
    ])
    consoleErrors.length = 0
  })

  it('shows the headline numbers and breakdowns the API answers for the same range', async () => {
    const statsRequest = page.waitForRequest((r) => r.url().includes(`/v1/sites/${site}/stats?`))
    await page.getByLabel('Read key').fill(readKey)
    await page.getByRole('button', { name: 'Sign in' }).click()
    const asked = Object.fromEntries(new URL((await statsRequest).url()).searchParams)
    expect(asked).toEqual(last7Days())
    await page.locator('.stats[data-ready="true"]').waitFor()
    // The key stays in the tab's session storage and out of the address bar.
    expect(page.url()).not.toContain(readKey)
    expect(await page.evaluate(() => sessionStorage.getItem('sightline.read_key'))).toBe(readKey)

    const stats = await api<Record<string, number>>('stats', asked)
    expect(stats.visitors).toBe(VISITS.length)
    expect(stats.pageviews).toBe(VISITS.flatMap((v) => v.paths).length)
    for (const metric of ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration_s']) {
      expect(await statText(page, metric), metric).toBe(shown(metric, stats[metric]!))
    }
    const pages = await api<{ rows: { value: string; visitors: number }[] }>('breakdown', {
      ...asked,
      by: 'page',
      limit: '10',
    })
    const card = page.locator('[data-card="page"] .rows[data-ready="true"]')
    await card.waitFor()
    const rows = await card.locator('button.row').evaluateAll((els) =>
      els.map((e) => ({
        value: e.getAttribute('data-value'),
        visitors: Number(e.getAttribute('data-visitors')),
      })),
    )
    expect(rows).toEqual(pages.rows.map((r) => ({ value: r.value, visitors: r.visitors })))
    expect(await card.locator('button.row .row-value').allTextContents()).toEqual(
      pages.rows.map((r) => en.format(r.visitors)),
    )
    const sources = page.locator('[data-card="source"] .rows[data-ready="true"]')
    await sources.waitFor()
    expect(
      await sources.locator('button.row').evaluateAll((els) => els.map((e) => e.getAttribute('data-value'))),
    ).toEqual(
      (
        await api<{ rows: { value: string }[] }>('breakdown', { ...asked, by: 'source', limit: '10' })
      ).rows.map((r) => r.value),
    )
    await page.screenshot({ path: join(shots, 'overview.png'), fullPage: true })
  })

  it('filters the whole view by a clicked row, shows it as a chip, and removes it', async () => {
    await page.locator('[data-card="page"] button.row[data-value="/pricing"]').click()
    await expect.poll(() => page.locator('.chip').textContent(), SLOW).toContain('page is /pricing')
    expect(new URL(page.url()).searchParams.getAll('f')).toEqual(['page:/pricing'])
    await page.locator('.stats[data-ready="true"]').waitFor()
    // Two of the four people viewed /pricing.
    const viewed = VISITS.filter((v) => v.paths.includes('/pricing')).length
    await expect.poll(() => statText(page, 'visitors'), SLOW).toBe(en.format(viewed))
    const filtered = await api<{ rows: { value: string; visitors: number; pageviews: number }[] }>(
      'breakdown',
      {
        ...last7Days(),
        by: 'page',
        limit: '5',
        filters: JSON.stringify([{ dimension: 'page', op: 'is', value: '/pricing' }]),
      },
    )
    expect(filtered.rows[0]).toMatchObject({ value: '/pricing', visitors: viewed })
    expect(await statText(page, 'pageviews')).toBe(en.format(filtered.rows[0]!.pageviews))
    // The breakdown cards follow the filter: the sources card lists only those people's sources.
    const sources = await api<{ rows: { value: string }[] }>('breakdown', {
      ...last7Days(),
      by: 'source',
      limit: '10',
      filters: JSON.stringify([{ dimension: 'page', op: 'is', value: '/pricing' }]),
    })
    expect(sources.rows.length).toBe(2)
    await expect
      .poll(() =>
        page
          .locator('[data-card="source"] button.row')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-value'))),
      )
      .toEqual(sources.rows.map((r) => r.value))
    await page.screenshot({ path: join(shots, 'overview-filtered.png') })

    // The URL is the view: opened elsewhere (same tab session), it shows the same filter.
    const shared = page.url()
    await page.getByRole('button', { name: /Remove filter page is \/pricing/ }).click()
    await expect.poll(() => statText(page, 'visitors'), SLOW).toBe(en.format(VISITS.length))
    expect(page.url()).not.toContain('f=')
    await page.goto(shared)
    await expect.poll(() => page.locator('.chip').textContent(), SLOW).toContain('page is /pricing')
    await page.getByRole('button', { name: /Remove filter/ }).click()
  })

  it('is usable on a phone and in dark mode', async () => {
    // The trend chart is a canvas with its colours read when drawn: mark the one drawn now.
    await page
      .locator('.chart canvas')
      .first()
      .evaluate((c) => (c.dataset.drawnIn = 'light'))
    await page.getByRole('button', { name: /^Theme: auto/ }).click()
    // Preact renders the change on its next tick, not inside the click.
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme), SLOW).toBe('dark')
    // …and the chart is drawn again in the dark colours (not light grid lines on dark).
    await expect
      .poll(
        () =>
          page
            .locator('.chart canvas')
            .first()
            .evaluate((c) => c.dataset.drawnIn ?? 'redrawn'),
        SLOW,
      )
      .toBe('redrawn')
    await page.locator('.stats[data-ready="true"]').waitFor()
    await page.screenshot({ path: join(shots, 'overview-dark.png') })
    await page.setViewportSize({ width: 390, height: 844 })
    // Nothing wider than the screen: no sideways scrolling on a phone. The trend chart
    // follows its box through a ResizeObserver, which fires after the next layout, so the
    // page is given a moment to reflow before it is measured.
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth), SLOW)
      .toBeLessThanOrEqual(390)
    await page.screenshot({ path: join(shots, 'overview-phone.png') })
    await page.setViewportSize({ width: 1280, height: 900 })
    await page.getByRole('button', { name: /^Theme: dark/ }).click()
    await page.getByRole('button', { name: /^Theme: light/ }).click()
  })

  it('Live: updates when events arrive through the edge', async () => {
    await page.getByRole('link', { name: 'Live' }).click()
    await expect
      .poll(() => page.locator('[data-metric="active"] .stat-change').textContent(), SLOW)
      .toBe('connected')
    // The live window holds what arrives after the first subscriber (docs/live.md).
    const now: Visit[] = [
      { person: `live1-${run}`, paths: ['/live-now'] },
      { person: `live2-${run}`, paths: ['/live-now'] },
      { person: `live3-${run}`, paths: ['/docs'] },
    ]
    await eventually(
      () => page.locator('[data-metric="active"] .stat-value').textContent(),
      (t) => t !== '—',
      10_000,
    )
    await send(now)
    await expect.poll(() => statText(page, 'active'), SLOW).toBe('3')
    const top = page.locator('[data-card="live-pages"] .row')
    expect(
      await top.evaluateAll((els) =>
        els.map((e) => [e.getAttribute('data-value'), e.getAttribute('data-count')]),
      ),
    ).toEqual([
      ['/live-now', '2'],
      ['/docs', '1'],
    ])
    await expect.poll(() => page.locator('.tail li').count(), SLOW).toBe(3)
    await page.screenshot({ path: join(shots, 'live.png') })
  })

  it('Ingestion: inserted, duplicates, refused and the canary lag as the ingest API counts them', async () => {
    const dashboard = `${running.endpoints.dashboard}?site=${site}&view=health`
    // A day long before this stack existed: nothing inserted, no canary, and the page says so.
    const past = { from: '2020-01-06T00:00:00.000Z', to: '2020-01-07T00:00:00.000Z', interval: 'hour' }
    const pastAsked = page.waitForRequest((r) => r.url().includes(`/v1/sites/${site}/ingest?`))
    await page.goto(`${dashboard}&range=custom&from=2020-01-06&to=2020-01-06`)
    expect(Object.fromEntries(new URL((await pastAsked).url()).searchParams)).toEqual(past)
    await page.locator('[data-metric="lag"]').waitFor(SLOW)
    const empty = await api<IngestResponse>('ingest', past)
    expect(empty.canaries).toEqual([])
    expect(await statText(page, 'inserted')).toBe(en.format(empty.totals.inserted))
    expect(await statText(page, 'lag')).toBe('—')
    expect(await statNote(page, 'lag')).toContain('no canary reached the warehouse in this range')

    // A client retry of the first visit (its two page views again) and an event the edge
    // refuses (no anonymous_id), with one good page view in the same batch.
    const retried = VISITS.slice(0, 1)
    await send(retried, [{ type: 'page', message_id: `nobody-${run}`, context: { page: { path: '/' } } }])
    const range = { ...last7Days(), interval: 'hour' }
    const dropped = retried.flatMap((v) => v.paths).length
    // The hub's bridge sends its first canary a minute after it started.
    await eventually(
      () => api<IngestResponse>('ingest', range),
      (h) => h.totals.duplicates === dropped && h.totals.refused === 1 && h.canaries.length > 0,
      120_000,
      500,
    )

    // A canary commits every minute: the page's numbers are compared with an answer that was
    // the same just before and just after the page asked for its own.
    let same: IngestResponse | undefined
    for (let attempt = 0; attempt < 3 && !same; attempt++) {
      const before = await api<IngestResponse>('ingest', range)
      const asked = page.waitForRequest((r) => r.url().includes(`/v1/sites/${site}/ingest?`))
      await page.goto(dashboard)
      expect(Object.fromEntries(new URL((await asked).url()).searchParams)).toEqual(range)
      await page.locator('[data-metric="lag"][data-at]').waitFor(SLOW)
      const after = await api<IngestResponse>('ingest', range)
      if (JSON.stringify(after) === JSON.stringify(before)) same = after
    }
    expect(same, 'no minute without a new canary while the page loaded').toBeDefined()
    const ingest = same!

    // What this file sent: every stored event was inserted, the retry dropped, one refused.
    const all = await api<{ events: number }>('stats', { ...last7Days(), include_bots: 'true' })
    expect(ingest.totals).toEqual({
      inserted: all.events,
      duplicates: dropped,
      refused: 1,
      refused_by_reason: [{ stage: 'edge', reason: 'invalid_event', count: 1 }],
    })
    const { inserted, duplicates, refused } = ingest.totals
    const received = inserted + duplicates + refused
    const share = (n: number) => `${Math.round((n / received) * 100)}% of all received`
    expect(await statText(page, 'inserted')).toBe(en.format(inserted))
    expect(await statText(page, 'duplicates')).toBe(en.format(duplicates))
    expect(await statNote(page, 'duplicates')).toBe(share(duplicates))
    expect(await statText(page, 'rejected')).toBe(en.format(refused))
    expect(await statNote(page, 'rejected')).toBe(share(refused))

    // One bridge (the hub's): its newest canary's lag, the largest, how many, and when.
    const [canary] = ingest.canaries
    expect(ingest.canaries).toHaveLength(1)
    expect(await statText(page, 'lag')).toBe(lagShown(canary!.last_lag_ms))
    expect(await page.locator('[data-metric="lag"]').getAttribute('data-at')).toBe(canary!.last_created_at)
    expect(await statNote(page, 'lag')).toMatch(
      new RegExp(
        `^edge → queryable, newest of ${en.format(canary!.canaries)} ${canary!.canaries === 1 ? 'canary' : 'canaries'} · max ${lagShown(canary!.max_lag_ms)} · last sent \\d+ s ago$`,
      ),
    )

    // The chart: one bar per day of the week, adding up to the events inserted.
    expect(await page.locator('.trend .chart [role="img"]').getAttribute('aria-label')).toBe(
      `Events inserted over time: 7 day buckets, ${inserted} events in all`,
    )
    // The refusals by reason, each with the rejected endpoint's example of it.
    const rejected = await api<{ groups: { stage: string; code: string; example_message: string }[] }>(
      'rejected',
      last7Days(),
    )
    const rows = await page.locator('.health tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        stage: tr.getAttribute('data-stage'),
        reason: tr.getAttribute('data-code'),
        count: tr.querySelector('.num')?.textContent,
        example: tr.querySelector('.example')?.textContent,
      })),
    )
    expect(rows).toEqual(
      ingest.totals.refused_by_reason.map((r) => ({
        stage: r.stage,
        reason: r.reason,
        count: en.format(r.count),
        example: rejected.groups.find((g) => g.stage === r.stage && g.code === r.reason)?.example_message,
      })),
    )
    expect(rows[0]!.example).toContain('anonymous_id')

    const humans = await api<{ events: number }>('stats', last7Days())
    const bots = all.events === 0 ? '—' : `${Math.round(((all.events - humans.events) / all.events) * 100)}%`
    expect(await statText(page, 'bot_share')).toBe(bots)
    await page.screenshot({ path: join(shots, 'ingestion.png'), fullPage: true })
  })

  it("Audit: each chart's SQL is the API's explain of the same request; the console runs SQL", async () => {
    await page.getByRole('link', { name: 'Audit' }).click()
    const stats = page.locator('[data-chart="stats"]')
    await stats.waitFor()
    const explained = await api<{ sql: string; params: Record<string, string> }>('stats', {
      ...last7Days(),
      explain: 'true',
    })
    await stats.locator('summary').click()
    expect(await stats.locator('pre.sql').textContent()).toBe(explained.sql)
    expect(JSON.parse((await stats.locator('pre.params').textContent()) ?? '')).toEqual(explained.params)
    expect(await page.locator('details.explain').count()).toBe(6)

    await page.getByLabel('SQL', { exact: true }).fill("SELECT count() AS n FROM events WHERE type = 'page'")
    await page.getByRole('button', { name: /^Run/ }).click()
    await page.locator('[data-rows="1"]').waitFor()
    const res = await fetch(`${running.endpoints.query}/v1/sites/${site}/sql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${readKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql: "SELECT count() AS n FROM events WHERE type = 'page'" }),
    })
    const answer = (await res.json()) as { rows: { n: unknown }[] }
    expect(await page.locator('table.result tbody td').textContent()).toBe(String(answer.rows[0]!.n))
    await page.screenshot({ path: join(shots, 'audit.png') })
  })

  it('first view: interactive time measured (goal 1 s), no console errors, only Sightline hosts', async () => {
    // A signed-in tab opening the Overview: a new context, so the first load is cold.
    const fresh = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC' })
    await fresh.addInitScript((key) => sessionStorage.setItem('sightline.read_key', key), readKey)
    const shell: number[] = []
    const numbers: number[] = []
    for (let i = 0; i < 3; i++) {
      const p = await fresh.newPage()
      watch(p)
      await p.goto(running.endpoints.dashboard)
      await p.locator('.stats[data-ready="true"]').waitFor()
      const [s, n] = await p.evaluate(() =>
        ['sightline:shell', 'sightline:interactive'].map(
          (name) => performance.getEntriesByName(name)[0]?.startTime ?? Number.NaN,
        ),
      )
      shell.push(s!)
      numbers.push(n!)
      await p.close()
    }
    await fresh.close()
    const started = performance.now()
    await api('stats', last7Days())
    const statsMs = performance.now() - started
    const ms = (xs: number[]) => xs.map((t) => Math.round(t)).join(', ')
    process.stdout.write(
      `dashboard first view: controls interactive ${ms(shell)} ms; headline numbers on screen ${ms(numbers)} ms; one stats query from Node now ${Math.round(statsMs)} ms\n`,
    )
    // The page's own work (loading the first view, first render) has a goal of 1 s; on a
    // shared two-core machine under load it is asserted as a 2 s regression guard and the
    // measured times are printed (docs/dashboard.md). The numbers follow as fast as the
    // warehouse answers.
    expect([...shell].sort((a, b) => a - b)[1]).toBeLessThanOrEqual(2000)
    for (const [i, n] of numbers.entries()) expect(n).toBeGreaterThanOrEqual(shell[i]!)
    expect(consoleErrors).toEqual([])
    expect(foreign).toEqual([])
  })
})
