import { mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CHROMIUM_ARGS, chromiumPath, eventually } from '@sightline/testing'
import { sqlRows } from '@sightline/testing/sql'
import { openWarehouse } from '@sightline/warehouse'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { driveLibrary } from './compat-browser-drive.ts'
import { type EdgeHit, startEdgeRecorder, startPageServer } from './compat-browser-pages.ts'
import { launcherPorts, type RunningSightline, startSightline, stats } from './launcher-harness.ts'

// The three most used browser trackers, unmodified, in a real Chromium against a launched
// Sightline (launcher → workerd edge → hub → chdb): posthog-js, Segment's analytics.js
// (@segment/analytics-next) and RudderStack's JS SDK (bundled build), each initialised only with
// documented options pointing at the edge. Each sends a pageview, a custom event with
// properties, an identify with traits, an SPA navigation and a page close; the rows are read
// from ClickHouse after the stack stops. Versions: launcher/package.json (docs/compat.md).
const dataDir = mkdtempSync(join(tmpdir(), 'sightline-compat-browser-'))
const run = crypto.randomUUID().slice(0, 8)
const userOf = (library: string) => `user-${library.split('-')[0]}-${run}`
let running: RunningSightline | undefined
const servers: Server[] = []
let browser: Browser | undefined

interface Row {
  ingest_path: string
  type: string
  event: string
  message_id: string
  anonymous_id: string
  user_id: string
  page_path: string
  page_url: string
  page_title: string
  utm_source: string
  utm_medium: string
  utm_campaign: string
  traits: string
  properties: string
}

afterAll(async () => {
  await browser?.close()
  await running?.stop()
  for (const s of servers) s.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const UTM = '?utm_source=newsletter&utm_medium=email&utm_campaign=launch'
const STEPS = ['track', 'identify', 'navigate'] as const

describe('browser trackers, unmodified, in Chromium', () => {
  beforeAll(async () => {
    running = await startSightline(dataDir, await launcherPorts())
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: ['--headless', ...CHROMIUM_ARGS],
    })
  })

  it('stores every event of posthog-js, analytics.js and RudderStack exactly once, no 404', async () => {
    const e = running!.endpoints
    const key = e.sites[0]!.write_key
    const recorder = await startEdgeRecorder(e.edge)
    servers.push(recorder.server)
    const pages = await startPageServer(recorder.url, key, userOf)
    servers.push(pages.server)

    const anonymous: Record<string, string> = {}
    const pageProblems: string[] = []
    for (const library of ['posthog', 'segment', 'rudderstack', 'rudderstack-beacon']) {
      // RudderStack's beacon transport is a second page (its own visitor): pageview and close.
      const steps = library === 'rudderstack-beacon' ? [] : STEPS
      const result = await driveLibrary(browser!, `${pages.url}/${library}/${UTM}`, { steps })
      anonymous[library] = result.anonymousId
      for (const r of result.requests) {
        // Requests cut short by the page close are re-checked through the recorder below.
        if (r.status >= 400) pageProblems.push(`${library}: ${r.status} ${r.method} ${r.url}`)
        if (r.status === 0 && !r.url.startsWith(recorder.url))
          pageProblems.push(`${library}: failed ${r.url}`)
        // Nothing may leave for the libraries' own hosts (CDNs, their clouds).
        if (!r.url.startsWith(recorder.url) && !r.url.startsWith(pages.url))
          pageProblems.push(`${library}: request outside the test: ${r.url}`)
      }
    }
    expect(pageProblems).toEqual([])
    const refused = (hits: EdgeHit[]) => hits.filter((h) => h.status === 404 || h.status >= 400)
    // Beacons sent from pagehide reach the edge after the page is gone: wait for them.
    const posted = () => recorder.hits.filter((h) => h.method === 'POST').length
    await eventually(
      async () => posted(),
      (n) => n >= 15,
      30_000,
    )
    expect(refused(recorder.hits)).toEqual([])

    await eventually(
      () => stats(e),
      // 5 per library + RudderStack's beacon page's 2.
      (s) => s.events >= 17,
      60_000,
    )
    // Late retries, if any, get the time to arrive (they must be deduplicated, not doubled).
    await new Promise((r) => setTimeout(r, 3_000))
    expect(refused(recorder.hits)).toEqual([])
    expect(await running!.stop()).toBe(0)
    running = undefined

    const warehouse = await openWarehouse({
      mode: 'embedded',
      path: join(dataDir, 'chdb'),
      database: 'sightline',
    })
    const rows = await sqlRows<Row>(
      warehouse,
      `SELECT ingest_path, type, event, message_id, anonymous_id, user_id, page_path, page_url, page_title,
              utm_source, utm_medium, utm_campaign,
              toJSONString(traits) AS traits, toJSONString(properties) AS properties
       FROM events ORDER BY ts, received_at`,
    )
    await warehouse.close()

    // Exactly once: no message id stored twice.
    const ids = rows.map((r) => r.message_id)
    expect(ids.length).toBe(new Set(ids).size)

    const of = (library: string) => rows.filter((r) => r.anonymous_id === anonymous[library])
    const names = (list: Row[]) => list.map((r) => `${r.type}:${r.event}`).sort()

    for (const [library, ingest] of [
      ['posthog', 'posthog'],
      ['segment', 'segment'],
      ['rudderstack', 'segment'],
    ] as const) {
      const mine = of(library)
      const user = userOf(library)
      const closeEvent = library === 'posthog' ? 'track:$pageleave' : 'track:Page Closed'
      const expected = [
        'identify:$identify',
        'page:$pageview',
        'page:$pageview',
        'track:Signed Up',
        closeEvent,
      ]
      // The whole list in the message: a missing event says which one at a glance.
      const got = names(mine)
      expect(got, `${library}: ${JSON.stringify(got)}`).toEqual(expected.sort())
      expect(new Set(mine.map((r) => r.ingest_path)), library).toEqual(new Set([ingest]))

      const [landing, spa] = mine.filter((r) => r.type === 'page')
      expect(landing, library).toMatchObject({
        page_path: `/${library}/`,
        utm_source: 'newsletter',
        utm_medium: 'email',
        utm_campaign: 'launch',
        user_id: '',
      })
      expect(landing!.page_url).toContain(`/${library}/${UTM}`)
      expect(landing!.page_title).toBe(`${library} page`)
      expect(spa, library).toMatchObject({
        page_path: '/pricing',
        utm_source: 'spa',
        utm_medium: 'nav',
        user_id: user,
      })

      const track = mine.find((r) => r.event === 'Signed Up')!
      expect(JSON.parse(track.properties), library).toMatchObject({ plan: 'pro', seats: 3 })
      expect(track.page_path, library).toBe(`/${library}/`)
      expect(track.utm_source, library).toBe('newsletter')

      const identify = mine.find((r) => r.type === 'identify')!
      expect(identify.user_id, library).toBe(user)
      expect(JSON.parse(identify.traits), library).toMatchObject({ plan: 'pro' })
      expect(JSON.parse(identify.traits).email, library).toMatch(/@example\.com$/)

      // Every library's close event, sent as the page closed, with who and where.
      const close = mine.find((r) => `${r.type}:${r.event}` === closeEvent)
      expect(close, library).toMatchObject({ user_id: user, page_path: '/pricing' })
    }

    // RudderStack's beacon transport: its pageview and the event sent while the page closed.
    const beacon = of('rudderstack-beacon')
    expect(names(beacon)).toEqual(['page:$pageview', 'track:Page Closed'])
    expect(beacon.every((r) => r.ingest_path === 'segment' && r.user_id === '')).toBe(true)
    expect(beacon.find((r) => r.type === 'page')).toMatchObject({
      page_path: '/rudderstack-beacon/',
      utm_source: 'newsletter',
    })
    expect(recorder.hits.some((h) => h.path.startsWith('/beacon/v1/batch?writeKey='))).toBe(true)
    // Nothing else was stored: every row belongs to one of the four visitors.
    expect(rows.length).toBe(
      Object.values(anonymous).reduce((n, id) => n + rows.filter((r) => r.anonymous_id === id).length, 0),
    )
  }, 300_000)
})
