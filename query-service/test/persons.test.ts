import type { EventRow } from '@sightline/warehouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BreakdownResponse } from '../src/insights/breakdown.ts'
import type { StatsResponse, TrendsResponse } from '../src/insights/index.ts'
import {
  loadProductDataset,
  PRODUCT_FROM,
  PRODUCT_SITE,
  PRODUCT_TO,
  PRODUCT_TZ,
  storedRows,
} from './product-dataset.ts'
import { breakdownOf } from './reference/breakdown.ts'
import { resolvePersons, uniquePersons } from './reference/persons.ts'
import { inRange, msOf, statsOf } from './reference/web-metrics.ts'
import { get, KEY_A, openTestEnv, post, type TestEnv } from './support.ts'

/**
 * Every number that counts people — stats visitors (and its previous period), trends
 * visitors per bucket, breakdown visitors per row and in `other` — counts merged persons:
 * the same as the plain-TypeScript union-find (reference/persons.ts) over the product
 * dataset, retroactively, with and without bots.
 */

let env: TestEnv
const all = storedRows()
const persons = resolvePersons(all)
const personOf = (r: EventRow) => persons.personOf(r)
const from = new Date(PRODUCT_FROM)
const to = new Date(PRODUCT_TO)
const previousFrom = new Date(2 * from.getTime() - to.getTime())

beforeAll(async () => {
  env = await openTestEnv({ seed: false })
  await loadProductDataset(env.warehouse)
})
afterAll(() => env?.close())

async function json<T>(res: Response | Promise<Response>): Promise<T> {
  const r = await res
  expect(r.status).toBe(200)
  return (await r.json()) as T
}
const range = (f: Date | string, t: Date | string) =>
  `from=${encodeURIComponent(typeof f === 'string' ? f : f.toISOString())}&to=${encodeURIComponent(typeof t === 'string' ? t : t.toISOString())}`

/** The local calendar day of an instant in the site's zone, as YYYY-MM-DD. */
const dayFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: PRODUCT_TZ,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
})
const localDay = (ms: number) => dayFormat.format(ms)

describe('the dataset makes merging matter', () => {
  it('has fewer persons than stored ids in range, so a count of raw ids would fail below', () => {
    const rows = inRange(all, PRODUCT_SITE, from, to)
    const raw = new Set(rows.map((r) => r.person_id).filter((p) => p !== '')).size
    const merged = uniquePersons(rows, persons)
    expect(merged).toBeGreaterThan(50)
    expect(raw - merged).toBeGreaterThanOrEqual(10)
  })
})

describe('stats visitors are merged persons', () => {
  for (const includeBots of [false, true]) {
    it(`current and previous period (include_bots=${includeBots})`, async () => {
      const got = await json<StatsResponse>(
        get(env.app, `/v1/sites/${PRODUCT_SITE}/stats?${range(from, to)}&include_bots=${includeBots}`, KEY_A),
      )
      const current = statsOf(inRange(all, PRODUCT_SITE, from, to, includeBots), personOf)
      const previous = statsOf(inRange(all, PRODUCT_SITE, previousFrom, from, includeBots), personOf)
      expect({ visitors: got.visitors, events: got.events, visits: got.visits }).toEqual({
        visitors: current.visitors,
        events: current.events,
        visits: current.visits,
      })
      expect(got.previous.visitors).toBe(previous.visitors)
    })
  }
})

describe('trends visitors are merged persons per bucket', () => {
  for (const event of [undefined, 'signup', 'purchase']) {
    it(`daily in ${PRODUCT_TZ}${event ? `, event=${event}` : ''}`, async () => {
      const got = await json<TrendsResponse>(
        get(
          env.app,
          `/v1/sites/${PRODUCT_SITE}/trends?${range(PRODUCT_FROM, PRODUCT_TO)}&interval=day&tz=${encodeURIComponent(PRODUCT_TZ)}${event ? `&event=${event}` : ''}`,
          KEY_A,
        ),
      )
      const rows = inRange(all, PRODUCT_SITE, from, to).filter(
        (r) => event === undefined || r.event === event,
      )
      const byDay = new Map<string, EventRow[]>()
      for (const r of rows) {
        const day = localDay(msOf(r))
        byDay.set(day, [...(byDay.get(day) ?? []), r])
      }
      expect(got.buckets!).toHaveLength(14)
      for (const b of got.buckets!) {
        const day = byDay.get(localDay(Date.parse(b.bucket))) ?? []
        expect({ bucket: b.bucket, count: b.count, visitors: b.visitors }).toEqual({
          bucket: b.bucket,
          count: day.length,
          visitors: uniquePersons(day, persons),
        })
      }
      expect(got.buckets!.reduce((n, b) => n + b.count, 0)).toBe(rows.length)
    })
  }

  it('hourly across the repeated 01:00 of the DST change (25 buckets)', async () => {
    const dayFrom = '2024-11-03T00:00:00-04:00'
    const dayTo = '2024-11-04T00:00:00-05:00'
    const got = await json<TrendsResponse>(
      get(
        env.app,
        `/v1/sites/${PRODUCT_SITE}/trends?${range(dayFrom, dayTo)}&interval=hour&tz=${encodeURIComponent(PRODUCT_TZ)}&include_bots=true`,
        KEY_A,
      ),
    )
    expect(got.buckets!).toHaveLength(25)
    const rows = inRange(all, PRODUCT_SITE, new Date(dayFrom), new Date(dayTo), true)
    for (const b of got.buckets!) {
      const start = Date.parse(b.bucket)
      const hour = rows.filter((r) => msOf(r) >= start && msOf(r) < start + 3_600_000)
      expect([b.bucket, b.count, b.visitors]).toEqual([b.bucket, hour.length, uniquePersons(hour, persons)])
    }
    // The owl's two visits land in the two distinct 01:00 buckets.
    const owl = got.buckets!.filter(
      (b) => b.bucket === '2024-11-03T05:00:00.000Z' || b.bucket === '2024-11-03T06:00:00.000Z',
    )
    expect(owl.map((b) => b.visitors).every((v) => v >= 1)).toBe(true)
  })
})

describe('breakdown visitors are merged persons per row', () => {
  for (const by of ['channel', 'source', 'page', 'event', 'country']) {
    it(`by ${by}`, async () => {
      const got = await json<BreakdownResponse>(
        post(env.app, `/v1/sites/${PRODUCT_SITE}/query`, KEY_A, {
          kind: 'breakdown',
          from: PRODUCT_FROM,
          to: PRODUCT_TO,
          by,
          limit: 3,
        }),
      )
      const want = breakdownOf(inRange(all, PRODUCT_SITE, from, to), by, [], 3, 0, personOf)
      expect(got.rows.map((r) => [r.value, r.visitors, r.visits])).toEqual(
        want.rows.map((r) => [r.value, r.visitors, r.visits]),
      )
      expect(got.other?.visitors ?? null).toBe(want.other?.visitors ?? null)
    })
  }
})
