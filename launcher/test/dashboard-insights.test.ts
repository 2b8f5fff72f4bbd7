import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { IngestResponse } from '@sightline/query-service'
import { CHROMIUM_ARGS, chromiumPath, eventually, type TempDir, tempDir } from '@sightline/testing'
import { type Browser, chromium, type Page, type Request } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launcherPorts, type RunningSightline, startSightline } from './launcher-harness.ts'

// The Funnels, Retention, Paths and Attribution views (and the Ingestion view's counts, and the
// site's time zone) in a real Chromium against one launched Sightline holding the generated
// demo shop (a few days, loaded through the edge code, bridge and writer as `npm start` does).
// Each view is driven through its editor; the spec the page sends is checked against what
// was picked, sent again from here, and every number on screen compared with that answer.
const DAYS = 4
const VISITS = 50
const SLOW = { timeout: 30_000 }
const shots = process.env.UPDATE_SCREENSHOTS
  ? join(import.meta.dirname, '..', '..', 'docs', 'screenshots')
  : join(import.meta.dirname, '..', '..', '.tmp', 'screenshots')
mkdirSync(shots, { recursive: true })

let dir: TempDir
let running: RunningSightline
let browser: Browser
let page: Page
let readKey: string
const SITE = 'demo-shop'
const consoleErrors: string[] = []

beforeAll(async () => {
  dir = await tempDir('sightline-insights-')
  running = await startSightline(join(dir.path, 'data'), await launcherPorts(), {
    env: {
      SIGHTLINE_DEMO: 'on',
      SIGHTLINE_DEMO_DAYS: String(DAYS),
      SIGHTLINE_DEMO_VISITS_PER_DAY: String(VISITS),
    },
  })
  readKey = running.endpoints.sites.find((s) => s.site_id === SITE)!.read_key!
  await eventually(
    async () => {
      try {
        return JSON.parse(readFileSync(join(dir.path, 'data', 'demo.json'), 'utf8')) as { status: string }
      } catch {
        return undefined
      }
    },
    (r) => r?.status === 'done',
    180_000,
    500,
  )
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--headless', ...CHROMIUM_ARGS] })
  // The viewer sits in New York; the site reports in its own zone (UTC, the default).
  const context = await browser.newContext({
    locale: 'en-US',
    timezoneId: 'America/New_York',
    viewport: { width: 1200, height: 860 },
  })
  page = await context.newPage()
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  page.on('pageerror', (err) => consoleErrors.push(String(err)))
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await running?.stop()
  await dir?.cleanup()
})

async function post<T>(spec: unknown): Promise<T> {
  const res = await fetch(`${running.endpoints.query}/v1/sites/${SITE}/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${readKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  })
  expect(res.status).toBe(200)
  return (await res.json()) as T
}

type Spec = Record<string, unknown> & { kind: string }
/** The next POST /query of a kind whose spec passes `ok` (edits send one query each). */
function nextSpec(kind: string, ok: (spec: Spec) => boolean = () => true): Promise<Spec> {
  return page
    .waitForRequest(
      (r: Request) => {
        if (!r.url().endsWith(`/v1/sites/${SITE}/query`) || r.method() !== 'POST') return false
        const spec = JSON.parse(r.postData() ?? '{}') as Spec
        return spec.kind === kind && ok(spec)
      },
      { timeout: 30_000 },
    )
    .then((r) => JSON.parse(r.postData()!) as Spec)
}

/** "Last 7 days" on the site's calendar (UTC): six days before today, through tonight. */
function last7DaysUtc(now = new Date()) {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  return {
    from: new Date(midnight - 6 * 86_400_000).toISOString(),
    to: new Date(midnight + 86_400_000).toISOString(),
  }
}

const en = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const en1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 })
const attrs = (p: Page, selector: string, names: string[]) =>
  p.locator(selector).evaluateAll((els, ns) => els.map((e) => ns.map((n) => e.getAttribute(n))), names)

describe('the insight views in Chromium, on the demo shop', () => {
  it("signs in and counts days in the site's time zone, not the viewer's", async () => {
    await page.goto(running.endpoints.dashboard)
    await page.getByLabel('Read key').fill(readKey)
    const stats = page.waitForRequest((r) => r.url().includes(`/v1/sites/${SITE}/stats?`))
    await page.getByRole('button', { name: 'Sign in' }).click()
    const asked = Object.fromEntries(new URL((await stats).url()).searchParams)
    expect(asked).toEqual(last7DaysUtc())
    await expect.poll(() => page.locator('.tz').textContent(), SLOW).toBe('Site time: UTC')
  })

  it('Funnels: steps picked in the editor (keyboard too), numbers as the API answers, URL shareable', async () => {
    await page.getByRole('link', { name: 'Funnels' }).click()
    await page.getByLabel('Step 1', { exact: true }).selectOption('pageview')
    await page.getByLabel('Step 2', { exact: true }).selectOption('add_to_cart')
    await page.getByRole('button', { name: 'Add step' }).click()
    const three = nextSpec(
      'funnel',
      (s) => (s.steps as unknown[]).length === 3 && JSON.stringify(s).includes('"purchase"'),
    )
    await page.getByLabel('Step 3', { exact: true }).selectOption('purchase')
    await three
    // Keyboard: the order select moves with the arrow keys, and each move is a query.
    const strict = nextSpec('funnel', (s) => s.order === 'strict')
    await page.getByLabel('Order').focus()
    await page.keyboard.press('ArrowDown')
    await strict
    const ordered = nextSpec('funnel', (s) => s.order === 'ordered')
    await page.getByLabel('Order').press('ArrowUp')
    const spec = await ordered
    expect(spec).toEqual({
      kind: 'funnel',
      ...last7DaysUtc(),
      steps: [{ event: 'pageview' }, { event: 'add_to_cart' }, { event: 'purchase' }],
      window_s: 7 * 86_400,
      order: 'ordered',
    })
    const answer = await post<{ steps: { step: number; persons: number }[] }>(spec)
    expect(answer.steps[0]!.persons).toBeGreaterThan(answer.steps[2]!.persons)
    expect(answer.steps[2]!.persons).toBeGreaterThan(0)
    await page.locator('.funnel[data-ready="true"]').waitFor(SLOW)
    expect(await attrs(page, '.funnel li', ['data-step', 'data-persons'])).toEqual(
      answer.steps.map((s) => [String(s.step), String(s.persons)]),
    )
    expect(await page.locator('.funnel .funnel-num').allTextContents()).toEqual(
      answer.steps.map((s) => en.format(s.persons)),
    )
    const url = new URL(page.url())
    expect(url.searchParams.getAll('step')).toEqual(['pageview', 'add_to_cart', 'purchase'])
    expect(url.searchParams.get('order')).toBe('ordered')
    await page.screenshot({ path: join(shots, 'funnels.png') })
    // Opened again from its URL, the same funnel.
    await page.goto(url.toString())
    await page.locator('.funnel[data-ready="true"]').waitFor(SLOW)
    expect(await attrs(page, '.funnel li', ['data-persons'])).toEqual(
      answer.steps.map((s) => [String(s.persons)]),
    )
  })

  it('Retention: a daily cohort table whose every cell is the API’s', async () => {
    await page.getByRole('link', { name: 'Retention' }).click()
    await page.getByLabel('Start event').selectOption('pageview')
    const daily = nextSpec('retention', (s) => s.period === 'day' && s.mode === 'recurring')
    await page.getByLabel('Cohort by').selectOption('recurring')
    const spec = await daily
    expect(spec).toMatchObject({ start: { event: 'pageview' }, tz: 'UTC', ...last7DaysUtc() })
    expect(spec).not.toHaveProperty('return')
    const answer = await post<{
      cohorts: { period_start: string; persons: number; retained: { period: number; persons: number }[] }[]
    }>(spec)
    await page.locator('table.cohorts[data-ready="true"]').waitFor(SLOW)
    const cells = await attrs(page, 'table.cohorts td.heat[data-period]', ['data-period', 'data-persons'])
    expect(cells).toEqual(
      answer.cohorts.flatMap((c) => c.retained.map((r) => [String(r.period), String(r.persons)])),
    )
    expect(answer.cohorts.filter((c) => c.persons > 0).length).toBeGreaterThanOrEqual(DAYS - 1)
    expect(await page.locator('table.cohorts tbody tr').count()).toBe(answer.cohorts.length)
    await page.screenshot({ path: join(shots, 'retention.png') })
  })

  it('Paths: a Sankey of the page paths whose nodes and bands are the API’s', async () => {
    await page.getByRole('link', { name: 'Paths' }).click()
    const deeper = nextSpec('paths', (s) => s.depth === 5)
    await page.getByLabel('Depth').fill('5')
    await page.getByLabel('Depth').press('Enter')
    const spec = await deeper
    expect(spec).toEqual({ kind: 'paths', ...last7DaysUtc(), step_type: 'page', depth: 5, top: 5 })
    const answer = await post<{
      nodes: { step: number; name: string | null; units: number }[]
      links: { units: number }[]
    }>(spec)
    expect(answer.links.length).toBeGreaterThan(0)
    await page.locator('svg.sankey[data-ready="true"]').waitFor(SLOW)
    expect(await attrs(page, 'svg.sankey g.node', ['data-step', 'data-name', 'data-units'])).toEqual(
      answer.nodes.map((n) => [String(n.step), n.name ?? '', String(n.units)]),
    )
    expect(
      (await attrs(page, 'svg.sankey .links path', ['data-units']))
        .map(([u]) => Number(u))
        .sort((a, b) => a - b),
    ).toEqual(answer.links.map((l) => l.units).sort((a, b) => a - b))
    await page.screenshot({ path: join(shots, 'paths.png') })
    // On a phone the Sankey scrolls inside its card; the page itself never scrolls sideways.
    await page.setViewportSize({ width: 390, height: 844 })
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth), SLOW)
      .toBeLessThanOrEqual(390)
    await page.setViewportSize({ width: 1200, height: 860 })
  })

  it('Attribution: models side by side, each credit the API’s, and an unavailable model says why', async () => {
    await page.getByRole('link', { name: 'Attribution' }).click()
    await page.getByLabel('Conversion').selectOption('purchase')
    await page.getByLabel('Value property').fill('value')
    await page.getByLabel('Value property').press('Enter')
    await page.getByLabel('Position based').check()
    const withAll = nextSpec('attribution', (s) => (s.models as string[]).length === 5)
    await page.getByLabel('Data driven').check()
    const spec = await withAll
    expect(spec).toEqual({
      kind: 'attribution',
      ...last7DaysUtc(),
      conversion: { event: 'purchase', value: 'properties.value' },
      models: ['last_touch', 'first_touch', 'linear', 'position_based', 'data_driven'],
      by: 'channel',
      lookback_days: 30,
    })
    const answer = await post<{
      conversions: number
      results: {
        model: string
        available: boolean
        reason: string | null
        credits: { label: string | null; conversions: number }[]
      }[]
    }>(spec)
    expect(answer.conversions).toBeGreaterThan(0)
    await page.locator('table.models-table[data-ready="true"]').waitFor(SLOW)
    for (const r of answer.results.filter((x) => x.available)) {
      for (const c of r.credits) {
        const cell = page.locator(`tr[data-label="${c.label ?? ''}"] td[data-model="${r.model}"]`)
        expect(Number(await cell.getAttribute('data-conversions')), `${r.model} ${c.label}`).toBe(
          c.conversions,
        )
        expect((await cell.textContent())?.startsWith(en1.format(c.conversions))).toBe(true)
      }
    }
    // Fewer than 100 conversions: data-driven is not computed, and the page says why.
    const dataDriven = answer.results.find((r) => r.model === 'data_driven')!
    expect(dataDriven.available).toBe(false)
    expect(await page.locator('[data-unavailable="data_driven"]').textContent()).toContain(dataDriven.reason)
    await page.screenshot({ path: join(shots, 'attribution.png') })
  })

  it('Ingestion: the demo load’s inserted, duplicate and refused events for the site’s days, and no console errors anywhere', async () => {
    const asked = page.waitForRequest((r) => r.url().includes(`/v1/sites/${SITE}/ingest?`), SLOW)
    await page.getByRole('link', { name: 'Ingestion' }).click()
    // The site's days (UTC), not the New York viewer's.
    const params = Object.fromEntries(new URL((await asked).url()).searchParams)
    expect(params).toEqual({ ...last7DaysUtc(), interval: 'hour' })
    await page.locator('[data-metric="inserted"]').waitFor(SLOW)
    const res = await fetch(
      `${running.endpoints.query}/v1/sites/${SITE}/ingest?${new URLSearchParams(params)}`,
      {
        headers: { authorization: `Bearer ${readKey}` },
      },
    )
    const { totals } = (await res.json()) as IngestResponse
    // The demo sends a few malformed events a day (and ~1% of visits twice: maybe none in 4 days).
    expect(totals.refused).toBeGreaterThan(0)
    for (const [metric, n] of [
      ['inserted', totals.inserted],
      ['duplicates', totals.duplicates],
      ['rejected', totals.refused],
    ] as const) {
      expect(await page.locator(`[data-metric="${metric}"] .stat-value`).textContent(), metric).toBe(
        en.format(n),
      )
    }
    expect(consoleErrors).toEqual([])
  })
})
