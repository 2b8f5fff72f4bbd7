import type { EventRow } from '@sightline/warehouse'
import { describe, expect, it } from 'vitest'
import type { BreakdownResponse } from '../src/insights/breakdown.ts'
import type { StatsResponse } from '../src/insights/stats.ts'
import type { TrendsResponse } from '../src/insights/trends.ts'
import {
  close,
  from,
  personOf,
  persons,
  previousFrom,
  productCohortApp,
  rows,
  to,
  WEEK_2,
} from './product-cohorts.ts'
import { PRODUCT_FROM, PRODUCT_SITE, PRODUCT_TZ } from './product-dataset.ts'
import { breakdownOf } from './reference/breakdown.ts'
import { cohortFilter, type RefCohortFilter } from './reference/funnels.ts'
import { type RefSeries, trendLines } from './reference/trends.ts'
import { inRange, msOf, statsOf } from './reference/web-metrics.ts'

/**
 * Stats, breakdown and trends of a cohort over the shared product dataset, against the
 * plain-TypeScript references run over the cohort's persons' events only. The cohort:
 * persons who signed up in the first local week. Ada signed up anonymously on her phone and
 * did everything else as user-ada, Grace signed up as grace-anon — members only as merged
 * persons (reference/persons.ts resolves them, independently of person_overrides).
 */

const cohort = { did: { event: 'signup' }, from: PRODUCT_FROM, to: WEEK_2 }
const refCohort: RefCohortFilter = { did: { event: 'signup' }, from, to: new Date(WEEK_2) }
const member = cohortFilter(rows, PRODUCT_SITE, false, refCohort, personOf)
const ofCohort = rows.filter((r) => member(personOf(r)))
// The trends reference counts persons by `person_id`: give it the merged person there.
const merged = (events: EventRow[]) => events.map((r) => ({ ...r, person_id: personOf(r) }))

const { ask, refused } = productCohortApp()

describe('the cohort', () => {
  it('holds Ada by her merged person, and the comparisons below would notice stored ids', () => {
    const ada = persons.personOfId(PRODUCT_SITE, 'user-ada')
    const signup = rows.find((r) => r.event === 'signup' && personOf(r) === ada)!
    expect(signup.person_id).toBe('ada-phone')
    expect(member(ada)).toBe(true)
    expect(ofCohort.some((r) => r.person_id === 'user-ada')).toBe(true)
    const stored = new Set(
      rows
        .filter(
          (r) =>
            r.event === 'signup' && !r.is_bot && msOf(r) >= from.getTime() && msOf(r) < Date.parse(WEEK_2),
        )
        .map((r) => r.person_id),
    )
    const byStoredId = rows.filter((r) => stored.has(r.person_id))
    const inside = (events: EventRow[]) => inRange(events, PRODUCT_SITE, from, to)
    expect(statsOf(inside(byStoredId), personOf)).not.toEqual(statsOf(inside(ofCohort), personOf))
  })
})

describe('stats of a cohort', () => {
  for (const includeBots of [false, true]) {
    it(`equal the reference over its persons, both periods (include_bots=${includeBots})`, async () => {
      const got = await ask<StatsResponse>({ kind: 'stats', include_bots: includeBots, cohort })
      // With bots, the cohort is still of persons who signed up as humans or as bots alike.
      const members = cohortFilter(rows, PRODUCT_SITE, includeBots, refCohort, personOf)
      const mine = rows.filter((r) => members(personOf(r)))
      const current = statsOf(inRange(mine, PRODUCT_SITE, from, to, includeBots), personOf)
      const previous = statsOf(inRange(mine, PRODUCT_SITE, previousFrom, from, includeBots), personOf)
      const everyone = statsOf(inRange(rows, PRODUCT_SITE, from, to, includeBots), personOf)
      expect(current.visitors).toBeGreaterThan(10)
      expect(current.visitors).toBeLessThan(everyone.visitors)
      expect(previous.visits).toBeGreaterThan(0)
      const shape = (s: typeof current) => ({
        ...s,
        views_per_visit: close(s.views_per_visit),
        bounce_rate: close(s.bounce_rate),
        visit_duration_s: close(s.visit_duration_s),
      })
      expect(got).toMatchObject(shape(current))
      expect(got.previous).toMatchObject(shape(previous))
    })
  }
})

describe('breakdown of a cohort', () => {
  for (const by of ['page', 'channel', 'event']) {
    it(`by ${by} equals the reference over its persons`, async () => {
      const got = await ask<BreakdownResponse>({ kind: 'breakdown', by, limit: 3, cohort })
      const want = breakdownOf(inRange(ofCohort, PRODUCT_SITE, from, to), by, [], 3, 0, personOf)
      const all = breakdownOf(inRange(rows, PRODUCT_SITE, from, to), by, [], 3, 0, personOf)
      expect(want.rows.length).toBe(3)
      expect(want.rows[0]!.visits).toBeLessThan(all.rows[0]!.visits)
      const shape = (g: { bounce_rate: number; visit_duration_s: number }) => ({
        ...g,
        bounce_rate: close(g.bounce_rate),
        visit_duration_s: close(g.visit_duration_s),
      })
      expect(got.total_groups).toBe(want.total)
      expect(got.rows).toEqual(want.rows.map(shape))
      expect(got.other).toEqual(want.other === null ? null : shape(want.other))
    })
  }
})

/** Trends lines as (series, breakdown value, other, values); the classic answer as two lines. */
function linesOf(got: TrendsResponse) {
  if (got.series === undefined) {
    const b = got.buckets!
    return [
      [0, null, false, b.map((x) => x.count)],
      [1, null, false, b.map((x) => x.visitors)],
    ]
  }
  return got.series.map((l) => [l.series, l.breakdown_value, l.other, l.points.map((p) => p.value)])
}

function bucketsOf(got: TrendsResponse): string[] {
  return got.buckets?.map((b) => b.bucket) ?? got.series![0]!.points.map((p) => p.bucket)
}

function referenceLines(
  got: TrendsResponse,
  events: EventRow[],
  series: RefSeries[],
  breakdown?: { by: string; limit: number },
) {
  return trendLines(
    merged(inRange(events, PRODUCT_SITE, from, to)),
    bucketsOf(got),
    series,
    [],
    breakdown,
  ).map((l) => [l.series, l.breakdown_value, l.other, l.points.map((p) => p.value)])
}

describe('trends of a cohort', () => {
  it('classic: events and visitors per local day equal the reference over its persons', async () => {
    const got = await ask<TrendsResponse>({ kind: 'trends', interval: 'day', tz: PRODUCT_TZ, cohort })
    const series: RefSeries[] = [{ math: 'events' }, { math: 'persons' }]
    const want = referenceLines(got, ofCohort, series)
    expect(linesOf(got)).toEqual(want)
    expect(want).not.toEqual(referenceLines(got, rows, series))
  })

  it('series (events, persons, sessions, a sum) broken down by country equal the reference', async () => {
    const series: RefSeries[] = [
      { math: 'events' },
      { math: 'persons' },
      { math: 'sessions' },
      { math: 'sum', event: 'purchase', property: 'value' },
    ]
    const breakdown = { by: 'country', limit: 2 }
    const got = await ask<TrendsResponse>({
      kind: 'trends',
      interval: 'day',
      tz: PRODUCT_TZ,
      series,
      breakdown: breakdown.by,
      breakdown_limit: breakdown.limit,
      cohort,
    })
    const want = referenceLines(got, ofCohort, series, breakdown)
    expect(want.some((l) => l[0] === 3 && (l[3] as number[]).some((v) => v > 0))).toBe(true)
    expect(linesOf(got)).toEqual(want)
  })

  it('never reads the rollup: a spec the rollup serves reads the events once it has a cohort', async () => {
    // Counts of events over whole hours in a whole-hour zone: the rollup's to serve.
    const spec = { kind: 'trends', interval: 'day', tz: PRODUCT_TZ, series: [{ math: 'events' }] }
    const everyone = await ask<TrendsResponse>(spec)
    expect(everyone.meta.source).toBe('rollup')
    const got = await ask<TrendsResponse>({ ...spec, cohort })
    expect(got.meta.source).toBe('events')
    const want = referenceLines(got, ofCohort, [{ math: 'events' }])
    expect(linesOf(got)).toEqual(want)
    expect(linesOf(everyone)).not.toEqual(want)
    const explained = await ask<{ rollup: unknown }>({ ...spec, cohort, explain: true })
    expect(explained.rollup).toEqual({ refused: expect.stringMatching(/cohort/) })
  })
})

describe('a bad cohort is refused with 400 invalid_query', () => {
  const empty = { did: { event: 'signup' }, from: WEEK_2, to: WEEK_2 }
  for (const [kind, extra] of [
    ['stats', {}],
    ['breakdown', { by: 'page' }],
    ['trends', {}],
    ['trends', { series: [{ math: 'sessions' }] }],
  ] as const) {
    it(`${kind} ${JSON.stringify(extra)}: \`from\` not before \`to\``, async () => {
      const body = await refused({ kind, ...extra, cohort: empty })
      expect(body.error.message).toContain('cohort: `from` must be earlier than `to`')
    })
  }
})
