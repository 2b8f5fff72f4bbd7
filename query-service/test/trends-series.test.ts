import type { EventRow } from '@sightline/warehouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TrendsResponse } from '../src/insights/trends.ts'
import type { RefFilter } from './reference/breakdown.ts'
import { type RefSeries, trendLines } from './reference/trends.ts'
import { inRange } from './reference/web-metrics.ts'
import { KEY_A, openTestEnv, post, type TestEnv } from './support.ts'
import { WEB_FROM, WEB_SITE, WEB_TO, webBlocks } from './web-dataset.ts'

/**
 * Trends with several series, property maths and a breakdown, on chdb, against the
 * plain-TypeScript reference over the web-metrics traffic (bots, a Europe/Berlin DST day).
 */

let env: TestEnv
const { generated, edges } = webBlocks()

/** Checkouts whose amount is text that reads as a number, text that does not, or missing. */
function oddCheckouts(): EventRow[] {
  const model = generated.find((r) => r.event === 'checkout' && !r.is_bot)!
  const odd = (n: number, amount: unknown): EventRow => ({
    ...model,
    message_id: `odd-checkout-${n}`,
    ts: `2024-03-31 09:0${n}:00.000`,
    properties: amount === undefined ? { plan: 'pro' } : { plan: 'pro', amount },
  })
  return [odd(1, '12.5'), odd(2, 'n/a'), odd(3, undefined), odd(4, -3)]
}
const extra = oddCheckouts()
const all = [...generated, ...edges, ...extra]

// Four Berlin days around the DST change (one of them 23 hours long).
const DAYS_FROM = '2024-03-29T00:00:00+01:00'
const DAYS_TO = '2024-04-02T00:00:00+02:00'

beforeAll(async () => {
  env = await openTestEnv({ seed: false })
  await env.warehouse.insert('events', generated, { dedupToken: 'ts-generated' })
  await env.warehouse.insert('events', edges, { dedupToken: 'ts-edges' })
  await env.warehouse.insert('events', extra, { dedupToken: 'ts-extra' })
})
afterAll(() => env?.close())

async function trends(spec: Record<string, unknown>): Promise<TrendsResponse> {
  const res = await post(env.app, `/v1/sites/${WEB_SITE}/query`, KEY_A, { kind: 'trends', ...spec })
  const body = await res.json()
  expect(res.status, JSON.stringify(body)).toBe(200)
  return body as TrendsResponse
}

interface Case {
  name: string
  range: [string, string]
  interval: 'hour' | 'day'
  series: RefSeries[]
  filters?: RefFilter[]
  breakdown?: { by: string; limit: number }
  includeBots?: boolean
}

const CASES: Case[] = [
  {
    name: 'counts: events, page views, persons, sessions',
    range: [DAYS_FROM, DAYS_TO],
    interval: 'day',
    series: [
      { math: 'events' },
      { math: 'events', event: '$pageview' },
      { math: 'persons' },
      { math: 'sessions' },
    ],
  },
  {
    name: 'every property math on checkout amounts (text numbers count, other text does not)',
    range: [DAYS_FROM, DAYS_TO],
    interval: 'day',
    series: (['sum', 'avg', 'min', 'max', 'median', 'p90'] as const).map((math) => ({
      math,
      event: 'checkout',
      property: 'amount',
    })),
  },
  {
    name: 'hourly over the 23-hour DST day, with bots',
    range: [WEB_FROM, WEB_TO],
    interval: 'hour',
    includeBots: true,
    series: [
      { math: 'events' },
      { math: 'sessions', event: '$pageview' },
      { math: 'p90', property: 'seats' },
    ],
  },
  {
    name: 'broken down by country, top 2 and other',
    range: [DAYS_FROM, DAYS_TO],
    interval: 'day',
    series: [
      { math: 'events' },
      { math: 'persons' },
      { math: 'sessions' },
      { math: 'median', event: 'checkout', property: 'amount' },
    ],
    breakdown: { by: 'country', limit: 2 },
  },
  {
    name: 'broken down by a custom property, filtered by page pattern and a number',
    range: [DAYS_FROM, DAYS_TO],
    interval: 'day',
    series: [
      { math: 'events', event: 'checkout' },
      { math: 'sum', event: 'checkout', property: 'amount' },
    ],
    filters: [{ dimension: 'properties.amount', op: 'gt', value: 0 }],
    breakdown: { by: 'properties.plan', limit: 3 },
  },
  {
    name: 'event filters on every series: not DE, pages by RE2',
    range: [DAYS_FROM, DAYS_TO],
    interval: 'day',
    series: [{ math: 'events' }, { math: 'persons' }, { math: 'sessions' }],
    filters: [
      { dimension: 'country', op: 'is_not', value: 'DE' },
      { dimension: 'page', op: 'matches', value: '^/(blog|docs|pricing)' },
    ],
    breakdown: { by: 'city', limit: 4 },
  },
]

describe('trends series, against the reference', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const got = await trends({
        from: c.range[0],
        to: c.range[1],
        interval: c.interval,
        tz: 'Europe/Berlin',
        include_bots: c.includeBots ?? false,
        series: c.series,
        ...(c.filters ? { filters: c.filters } : {}),
        ...(c.breakdown ? { breakdown: c.breakdown.by, breakdown_limit: c.breakdown.limit } : {}),
      })
      // The buckets are the classic trends' buckets (checked by hand there, DST included).
      const classic = await trends({
        from: c.range[0],
        to: c.range[1],
        interval: c.interval,
        tz: 'Europe/Berlin',
      })
      const starts = classic.buckets!.map((b) => b.bucket)
      const rows = inRange(all, WEB_SITE, new Date(c.range[0]), new Date(c.range[1]), c.includeBots ?? false)
      const want = trendLines(rows, starts, c.series, c.filters ?? [], c.breakdown)
      expect(got.series!.map((l) => [l.series, l.breakdown_value, l.other])).toEqual(
        want.map((l) => [l.series, l.breakdown_value, l.other]),
      )
      got.series!.forEach((line, i) => {
        expect(line.math).toBe(c.series[line.series]!.math)
        expect(line.points.map((p) => p.bucket)).toEqual(starts)
        const values = want[i]!.points.map((p) => (p.value === null ? null : expect.closeTo(p.value, 6)))
        expect(
          line.points.map((p) => p.value),
          `${line.series} ${line.breakdown_value}`,
        ).toEqual(values)
      })
      // Not vacuous: every line has something in it.
      for (const line of got.series!)
        expect(line.points.some((p) => p.value !== null && p.value !== 0)).toBe(true)
    })
  }

  it('ranks breakdown values by events, so the other line holds the rest of them', async () => {
    const got = await trends({
      from: DAYS_FROM,
      to: DAYS_TO,
      tz: 'Europe/Berlin',
      series: [{ math: 'events' }],
      breakdown: 'browser',
      breakdown_limit: 1,
    })
    const [top, other] = got.series!
    const total = (l: typeof top) => l!.points.reduce((n, p) => n + p.value!, 0)
    expect(other!.other).toBe(true)
    expect(total(top)).toBeGreaterThan(0)
    expect(total(top) + total(other)).toBe(
      inRange(all, WEB_SITE, new Date(DAYS_FROM), new Date(DAYS_TO)).length,
    )
  })

  it('keeps one zero line for a series nothing matches', async () => {
    const got = await trends({
      from: DAYS_FROM,
      to: DAYS_TO,
      tz: 'Europe/Berlin',
      series: [{ event: 'never' }, { math: 'avg', event: 'never', property: 'x' }],
    })
    expect(got.series!.map((l) => l.points.every((p) => p.value === 0))).toEqual([true, false])
    expect(got.series![1]!.points.every((p) => p.value === null)).toBe(true)
  })

  it('binds every value: hostile names, keys and patterns reach params, never the SQL text', async () => {
    const evil = "x' OR 1=1 --"
    const res = await post(env.app, `/v1/sites/${WEB_SITE}/query`, KEY_A, {
      kind: 'trends',
      explain: true,
      series: [
        { math: 'sum', event: evil, property: `${evil}.k` },
        { math: 'sessions', event: `${evil}2` },
      ],
      filters: [{ dimension: `properties.${evil}`, op: 'matches', value: `^${evil}` }],
      breakdown: `properties.${evil}3`,
      breakdown_limit: 7,
    })
    expect(res.status).toBe(200)
    const planned = (await res.json()) as { sql: string; params: Record<string, unknown> }
    expect(planned.sql).not.toContain(evil)
    expect(planned.sql).not.toContain('1=1')
    const bound = Object.values(planned.params).map(String)
    for (const value of [evil, `${evil}2`, `^${evil}`, '7']) expect(bound).toContain(value)
    expect(bound.some((v) => v.includes(`${evil}3`))).toBe(true)
  })

  it('refuses specs that do not make sense, naming the field', async () => {
    for (const [spec, field] of [
      [{ series: [{ math: 'sum' }] }, 'series.0.property'],
      [{ series: [{ math: 'persons', property: 'amount' }] }, 'series.0.property'],
      [{ series: [{ math: 'mode' }] }, 'series.0.math'],
      [{ series: [] }, 'series'],
      [{ series: Array.from({ length: 11 }, () => ({})) }, 'series'],
      [{ series: [{}], event: 'signup' }, 'event'],
      [{ breakdown: 'country' }, 'breakdown'],
      [{ series: [{}], breakdown: 'channel' }, 'breakdown'],
      [{ series: [{}], breakdown: 'country', breakdown_limit: 51 }, 'breakdown_limit'],
      [{ series: [{}], filters: [{ dimension: 'entry_page', op: 'is', value: '/' }] }, 'filters'],
      [{ series: [{}], filters: [{ dimension: 'page', op: 'matches', value: '[' }] }, 'not valid RE2'],
    ] as const) {
      const res = await post(env.app, `/v1/sites/${WEB_SITE}/query`, KEY_A, { kind: 'trends', ...spec })
      expect(res.status, JSON.stringify(spec)).toBe(400)
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(field)
    }
  })
})
