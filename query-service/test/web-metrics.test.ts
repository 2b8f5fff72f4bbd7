import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { StatsResponse } from '../src/insights/index.ts'
import { eventsWhere, windowParams } from '../src/insights/predicates.ts'
import { sessionsQuery, VISIT_DETAILS } from '../src/insights/sessions.ts'
import { compile, sql } from '../src/sql/fragment.ts'
import { inRange, type RefVisit, statsOf, visitsOf } from './reference/web-metrics.ts'
import { get, KEY_A, openTestEnv, type TestEnv } from './support.ts'
import { WEB_FROM, WEB_SITE, WEB_TO, webBlocks } from './web-dataset.ts'

/**
 * Every web metric the warehouse returns, compared with the plain-TypeScript reference over
 * generated traffic (bots included) and hand-made edge cases; see web-dataset.ts.
 */

let env: TestEnv
const { generated, edges } = webBlocks()
const rows = [...generated, ...edges]
const from = new Date(WEB_FROM)
const to = new Date(WEB_TO)
const previousFrom = new Date(2 * from.getTime() - to.getTime())

beforeAll(async () => {
  env = await openTestEnv({ seed: false })
  await env.warehouse.insert('events', generated, { dedupToken: 'web-generated' })
  // A retried write of the same block: the table drops it, so nothing may count twice.
  await env.warehouse.insert('events', generated, { dedupToken: 'web-generated' })
  await env.warehouse.insert('events', edges, { dedupToken: 'web-edges' })
})
afterAll(() => env?.close())

async function stats(query: string): Promise<StatsResponse> {
  const res = await get(env.app, `/v1/sites/${WEB_SITE}/stats?${query}`, KEY_A)
  expect(res.status).toBe(200)
  return (await res.json()) as StatsResponse
}

const count = z.coerce.number()
const VisitRow = z.object({
  anonymous_id: z.string(),
  started: count,
  ended: count,
  events: count,
  pageviews: count,
  entry_page: z.string(),
  exit_page: z.string(),
  referrer_host: z.string(),
  source: z.string(),
  medium: z.string(),
  campaign: z.string(),
  channel: z.string(),
})

async function warehouseVisits(): Promise<RefVisit[]> {
  const window = windowParams({ site: WEB_SITE, from, to })
  const planned = compile(
    sql`SELECT anonymous_id, started, ended, events, pageviews, entry_page, exit_page, referrer_host, source, medium, campaign, channel
FROM (
  ${sessionsQuery({ where: eventsWhere(window, false), period: sql`toUInt8(1)`, details: VISIT_DETAILS })}
)`,
  )
  const got = await env.warehouse.query({ name: 'test.visits', ...planned, row: VisitRow }, {})
  return sortVisits(got)
}

function sortVisits(visits: RefVisit[]): RefVisit[] {
  return [...visits].sort((a, b) =>
    a.anonymous_id === b.anonymous_id ? a.started - b.started : a.anonymous_id < b.anonymous_id ? -1 : 1,
  )
}

describe('visits, against the reference', () => {
  it('finds exactly the visits the definition gives, attribute by attribute', async () => {
    const expected = sortVisits(visitsOf(inRange(rows, WEB_SITE, from, to)))
    expect(expected.length).toBeGreaterThan(300)
    expect(await warehouseVisits()).toEqual(expected)
  })

  it('covers the edge cases the way docs/metrics.md says', () => {
    const visits = visitsOf(inRange(rows, WEB_SITE, from, to))
    const of = (device: string) => visits.filter((v) => v.anonymous_id === device)
    expect(of('dev-gap').map((v) => v.pageviews)).toEqual([2, 1])
    expect(of('dev-utm').map((v) => [v.source, v.channel, v.pageviews])).toEqual([
      ['Google', 'paid search', 2],
      ['newsletter', 'email', 3],
    ])
    expect(of('dev-campaign').map((v) => v.channel)).toEqual(['direct', 'paid social'])
    expect(of('dev-night')).toMatchObject([{ pageviews: 4, entry_page: '/late', exit_page: '/dst-after' }])
    expect(of('dev-self')).toMatchObject([{ channel: 'direct', referrer_host: '' }])
    expect(of('dev-video')).toMatchObject([{ channel: 'video' }])
    expect(of('dev-sub')).toMatchObject([{ channel: 'organic search' }])
    expect(of('dev-tie')).toMatchObject([
      { entry_page: '/first', exit_page: '/second', ended: Date.parse('2024-03-31T16:00:00Z') },
    ])
    expect(of('dev-edge')).toMatchObject([{ entry_page: '/after', pageviews: 1 }])
    const channels = new Set(visits.map((v) => v.channel))
    for (const c of ['direct', 'organic search', 'organic social', 'referral', 'paid search', 'email']) {
      expect(channels).toContain(c)
    }
  })
})

describe('stats, against the reference', () => {
  for (const includeBots of [false, true]) {
    it(`matches every metric and its previous period (include_bots=${includeBots})`, async () => {
      const got = await stats(
        `from=${encodeURIComponent(WEB_FROM)}&to=${encodeURIComponent(WEB_TO)}&include_bots=${includeBots}`,
      )
      const current = statsOf(inRange(rows, WEB_SITE, from, to, includeBots))
      const previous = statsOf(inRange(rows, WEB_SITE, previousFrom, from, includeBots))
      expect(current.visits).toBeGreaterThan(0)
      expect(previous.visits).toBeGreaterThan(0)
      const close = (n: number) => expect.closeTo(n, 9)
      const shape = (s: typeof current) => ({
        ...s,
        views_per_visit: close(s.views_per_visit),
        bounce_rate: close(s.bounce_rate),
        visit_duration_s: close(s.visit_duration_s),
      })
      expect(got).toMatchObject(shape(current))
      expect(got.previous).toMatchObject({
        from: previousFrom.toISOString(),
        to: from.toISOString(),
        ...shape(previous),
      })
    })
  }

  it('holds a row with an empty person id, so the visitor comparison above covers it', () => {
    const inWindow = inRange(rows, WEB_SITE, from, to)
    expect(inWindow.some((r) => r.person_id === '')).toBe(true)
  })
})
