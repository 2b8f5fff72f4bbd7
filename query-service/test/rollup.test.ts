import type { EventRow } from '@sightline/warehouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { TrendsResponse } from '../src/insights/trends.ts'
import type { RefFilter } from './reference/breakdown.ts'
import { type RefSeries, trendLines } from './reference/trends.ts'
import { inRange } from './reference/web-metrics.ts'
import { KEY_BOTH, openTestEnv, post, type TestEnv } from './support.ts'
import { WEB_SITE, webBlocks } from './web-dataset.ts'

/**
 * Trends served by the hourly rollup (docs/adr/0025-rollups.md) on chdb: for every spec the
 * rollup serves, its answer equals the plain-TypeScript reference and the events plan's rows
 * exactly; for specs it cannot serve, the events plan answers (meta.source says which).
 * Data: the web-metrics traffic (bots, a Europe/Berlin DST day), its generated block inserted
 * twice (a retried write), late events inserted after newer ones, and a second site with
 * identity merges.
 */

let env: TestEnv
const { generated, edges } = webBlocks()
const MERGED_SITE = 'site_b'

// Events that arrive after everything else but happened on the first day (out of order).
const late: EventRow[] = generated.slice(0, 40).map((r, i) => ({
  ...r,
  message_id: `late-${i}`,
  ts: `2024-03-30 0${i % 10}:1${i % 6}:00.000`,
}))
// A second site: the same traffic, with a fifth of its stored ids merged into another id.
const mergedRows: EventRow[] = generated.map((r) => ({ ...r, site_id: MERGED_SITE }))
const ids = [...new Set(mergedRows.map((r) => r.person_id).filter((p) => p !== ''))].sort()
const mergeOf = new Map(ids.filter((_, i) => i % 5 === 1).map((id, i) => [id, ids[i * 5] ?? ids[0]!]))
const all = [...generated, ...edges, ...late]

// Four Berlin days around the DST change (one of them 23 hours long).
const DAYS: [string, string] = ['2024-03-29T00:00:00+01:00', '2024-04-02T00:00:00+02:00']

beforeAll(async () => {
  env = await openTestEnv({ seed: false })
  await env.warehouse.insert('events', generated, { dedupToken: 'ru-generated' })
  await env.warehouse.insert('events', edges, { dedupToken: 'ru-edges' })
  // A retried write of the same block: dropped by the events table, so by the rollup too.
  await env.warehouse.insert('events', generated, { dedupToken: 'ru-generated' })
  await env.warehouse.insert('events', late, { dedupToken: 'ru-late' })
  await env.warehouse.insert('events', mergedRows, { dedupToken: 'ru-merged' })
  await env.warehouse.insert(
    'person_overrides',
    [...mergeOf].map(([id, person]) => ({
      site_id: MERGED_SITE,
      id,
      person,
      version: 1,
      merged_at: '2024-03-30 00:00:00.000',
    })),
    { dedupToken: 'ru-overrides' },
  )
})
afterAll(() => env?.close())

type Served = TrendsResponse & { meta: { source?: string } }

async function query(site: string, spec: Record<string, unknown>): Promise<Served> {
  const res = await post(env.app, `/v1/sites/${site}/query`, KEY_BOTH, { kind: 'trends', ...spec })
  const body = await res.json()
  expect(res.status, JSON.stringify(body)).toBe(200)
  return body as Served
}

/** The events plan and, when the spec has one, the rollup plan, run straight on chdb. */
async function bothPlans(site: string, spec: Record<string, unknown>) {
  const res = await post(env.app, `/v1/sites/${site}/query`, KEY_BOTH, {
    kind: 'trends',
    ...spec,
    explain: true,
  })
  const plans = (await res.json()) as {
    sql: string
    params: Record<string, string>
    rollup: { sql: string; params: Record<string, string> } | { refused: string }
  }
  const run = (p: { sql: string; params: Record<string, string> }) =>
    env.warehouse.query({ name: 'test.plan', sql: p.sql, params: p.params, row: z.unknown() })
  return { events: await run(plans), rollup: 'sql' in plans.rollup ? await run(plans.rollup) : plans.rollup }
}

interface Case {
  name: string
  range: [string, string]
  interval: 'hour' | 'day' | 'week'
  tz: string
  /** Without series: the classic answer (events and visitors per bucket). */
  series?: RefSeries[]
  event?: string
  filters?: RefFilter[]
  breakdown?: { by: string; limit: number }
  includeBots?: boolean
}

const SERVED: Case[] = [
  { name: 'classic, daily in Berlin over the DST change', range: DAYS, interval: 'day', tz: 'Europe/Berlin' },
  {
    name: 'classic, hourly in UTC with bots',
    range: ['2024-03-30T00:00:00Z', '2024-03-31T06:00:00Z'],
    interval: 'hour',
    tz: 'UTC',
    includeBots: true,
  },
  {
    name: 'classic, one event, daily in New York, filtered by country',
    range: ['2024-03-29T04:00:00Z', '2024-04-01T04:00:00Z'],
    interval: 'day',
    tz: 'America/New_York',
    event: 'checkout',
    filters: [{ dimension: 'country', op: 'is', value: 'DE' }],
  },
  {
    name: 'series by country, filtered on the same dimension',
    range: DAYS,
    interval: 'day',
    tz: 'Europe/Berlin',
    series: [{ math: 'events' }, { math: 'persons' }, { math: 'events', event: '$pageview' }],
    filters: [{ dimension: 'country', op: 'is_not', value: 'DE' }],
    breakdown: { by: 'country', limit: 2 },
  },
  {
    name: 'series by event name, pages by RE2',
    range: DAYS,
    interval: 'day',
    tz: 'Europe/Berlin',
    series: [{ math: 'events' }, { math: 'persons' }],
    filters: [{ dimension: 'page', op: 'matches', value: '^/(blog|docs|pricing)' }],
    breakdown: { by: 'event', limit: 3 },
  },
  {
    name: 'weekly persons by browser, with bots',
    range: ['2024-03-24T23:00:00Z', '2024-04-07T22:00:00Z'],
    interval: 'week',
    tz: 'Europe/Berlin',
    includeBots: true,
    series: [{ math: 'persons' }],
    filters: [{ dimension: 'browser', op: 'contains', value: 'fire' }],
    breakdown: { by: 'browser', limit: 5 },
  },
]

const NOT_SERVED: Array<Case & { why: RegExp }> = [
  {
    name: 'a half-hour zone',
    range: DAYS,
    interval: 'day',
    tz: 'Asia/Kolkata',
    why: /whole number of hours/,
  },
  {
    name: 'a range that is not whole hours',
    range: ['2024-03-30T00:30:00Z', '2024-03-31T00:00:00Z'],
    interval: 'hour',
    tz: 'UTC',
    why: /whole UTC hours/,
  },
  {
    name: 'sessions',
    range: DAYS,
    interval: 'day',
    tz: 'Europe/Berlin',
    series: [{ math: 'events' }, { math: 'sessions' }],
    why: /no sessions/,
  },
  {
    name: 'a custom property breakdown',
    range: DAYS,
    interval: 'day',
    tz: 'Europe/Berlin',
    series: [{ math: 'events' }],
    breakdown: { by: 'properties.plan', limit: 3 },
    why: /properties\.plan is not rolled up/,
  },
  {
    name: 'two rolled-up dimensions',
    range: DAYS,
    interval: 'day',
    tz: 'Europe/Berlin',
    series: [{ math: 'events' }],
    filters: [{ dimension: 'country', op: 'is', value: 'DE' }],
    breakdown: { by: 'os', limit: 3 },
    why: /more than one/,
  },
]

function specOf(c: Case): Record<string, unknown> {
  return {
    from: c.range[0],
    to: c.range[1],
    interval: c.interval,
    tz: c.tz,
    include_bots: c.includeBots ?? false,
    ...(c.event ? { event: c.event } : {}),
    ...(c.series ? { series: c.series } : {}),
    ...(c.filters ? { filters: c.filters } : {}),
    ...(c.breakdown ? { breakdown: c.breakdown.by, breakdown_limit: c.breakdown.limit } : {}),
  }
}

/** The reference answer as (series, breakdown value, other, values) lines. */
function expected(c: Case, rows: EventRow[], starts: string[]) {
  const series: RefSeries[] = c.series ?? [
    { math: 'events', ...(c.event ? { event: c.event } : {}) },
    { math: 'persons', ...(c.event ? { event: c.event } : {}) },
  ]
  return trendLines(rows, starts, series, c.filters ?? [], c.breakdown).map((l) => [
    l.series,
    l.breakdown_value,
    l.other,
    l.points.map((p) => p.value),
  ])
}

function linesOf(got: Served) {
  if (got.series === undefined) {
    const b = got.buckets!
    return [
      [0, null, false, b.map((x) => x.count)],
      [1, null, false, b.map((x) => x.visitors)],
    ]
  }
  return got.series.map((l) => [l.series, l.breakdown_value, l.other, l.points.map((p) => p.value)])
}

const startsOf = (got: Served) =>
  (got.buckets ?? []).map((b) => b.bucket).concat(got.series?.[0]?.points.map((p) => p.bucket) ?? [])

async function check(site: string, c: Case, rows: EventRow[], source: 'rollup' | 'events') {
  const got = await query(site, specOf(c))
  expect(got.meta.source).toBe(source)
  const inside = inRange(rows, site, new Date(c.range[0]), new Date(c.range[1]), c.includeBots ?? false)
  const want = expected(c, inside, startsOf(got))
  expect(linesOf(got)).toEqual(want)
  // Not vacuous: some bucket of some line counted something.
  expect(want.some((l) => (l[3] as Array<number | null>).some((v) => v !== null && v !== 0))).toBe(true)
  return got
}

describe('trends from the hourly rollup', () => {
  for (const c of SERVED) {
    it(`${c.name}: rollup = events plan = reference`, async () => {
      await check(WEB_SITE, c, all, 'rollup')
      const plans = await bothPlans(WEB_SITE, specOf(c))
      expect(plans.rollup).toEqual(plans.events)
    })
  }

  for (const c of NOT_SERVED) {
    it(`is refused for ${c.name}, which the events plan answers`, async () => {
      await check(WEB_SITE, c, all, 'events')
      const plans = await bothPlans(WEB_SITE, specOf(c))
      expect(plans.rollup).toEqual({ refused: expect.stringMatching(c.why) })
    })
  }

  it('counts persons from the events while a site has merged ids, and events from the rollup', async () => {
    const resolved = mergedRows.map((r) => ({ ...r, person_id: mergeOf.get(r.person_id) ?? r.person_id }))
    const classic: Case = { name: 'classic', range: DAYS, interval: 'day', tz: 'Europe/Berlin' }
    const got = await check(MERGED_SITE, classic, resolved, 'events')
    // The merges matter here: counting stored ids would give more visitors.
    const stored = expected(
      classic,
      inRange(mergedRows, MERGED_SITE, new Date(DAYS[0]), new Date(DAYS[1])),
      startsOf(got),
    )
    expect(linesOf(got)).not.toEqual(stored)
    const events: Case = { ...classic, series: [{ math: 'events' }], breakdown: { by: 'country', limit: 3 } }
    await check(MERGED_SITE, events, resolved, 'rollup')
  })
})
