import type { EventRow } from '@sightline/warehouse'
import { describe, expect, it } from 'vitest'
import type { BreakdownResponse } from '../src/insights/breakdown.ts'
import type { FunnelResponse } from '../src/insights/funnel.ts'
import type { FunnelPersonsResponse } from '../src/insights/funnel-persons.ts'
import type { RetentionResponse } from '../src/insights/retention.ts'
import type { StatsResponse } from '../src/insights/stats.ts'
import type { TrendsResponse } from '../src/insights/trends.ts'
import { expectSteps } from './funnel-expect.ts'
import { close, from, personOf, persons, productCohortApp, rows, to, WEEK_2 } from './product-cohorts.ts'
import { PRODUCT_FROM, PRODUCT_SITE, PRODUCT_TO, PRODUCT_TZ } from './product-dataset.ts'
import { breakdownOf } from './reference/breakdown.ts'
import { cohortFilter, funnelOf, type RefCohortFilter } from './reference/funnels.ts'
import { personPropertyOf, type RefPersonProperty } from './reference/person-properties.ts'
import { retentionOf } from './reference/retention.ts'
import { type RefSeries, trendLines } from './reference/trends.ts'
import { inRange, statsOf } from './reference/web-metrics.ts'
import { type ErrorJson, get, KEY_A } from './support.ts'

/**
 * Cohorts by person property (`{"has": {"property", "op", "value"}}`) over the shared product
 * dataset, against the plain-TypeScript references run over the cohort's persons only. A
 * person's property is the trait on their latest event carrying it, over all their merged ids,
 * before the query's `to` (reference/person-properties.ts): the hand cases pin down each part
 * of that rule, and stats, breakdown, trends, funnels, funnel persons and retention are
 * compared with the references restricted to the cohort (paths and attribution: their own
 * test files).
 */

const DAY_S = 86_400

type Has = Omit<RefPersonProperty, 'asOf'>
/** The spec's cohort and the reference's, for a property as of `asOf`. */
const has = (h: Has, asOf = to): { spec: { has: Has }; ref: RefCohortFilter } => ({
  spec: { has: h },
  ref: { has: { ...h, asOf } },
})
const PRO: Has = { property: 'plan', op: 'is', value: 'pro' }

const plan = (asOf: Date, includeBots = false, person = personOf) =>
  personPropertyOf(rows, PRODUCT_SITE, 'plan', asOf, includeBots, person)
const who = (id: string) => persons.personOfId(PRODUCT_SITE, id)

const { ask, query, refused, env } = productCohortApp()

/** The persons with a page view in the range who are in the cohort, as the service lists them. */
async function listed(
  cohort: Record<string, unknown>,
  range: Record<string, unknown> = {},
): Promise<string[]> {
  const got = await ask<FunnelPersonsResponse>({
    kind: 'funnel_persons',
    steps: [{ event: 'pageview' }, { event: 'pageview' }],
    step: 1,
    status: 'converted',
    limit: 1000,
    cohort,
    ...range,
  })
  expect(got.total).toBeLessThan(1000)
  return got.persons.map((p) => p.person)
}

/** The reference's list for `listed`: pageviewers in [from, until), in the cohort. */
function referenceListed(cohort: RefCohortFilter, until = to, includeBots = false): string[] {
  const member = cohortFilter(rows, PRODUCT_SITE, includeBots, cohort, personOf)
  const viewers = inRange(rows, PRODUCT_SITE, from, until, includeBots)
    .filter((r) => r.type === 'page')
    .map(personOf)
  return [...new Set(viewers)].filter((p) => p !== '' && member(p)).sort()
}

describe('the person property, as the hand cases pin it down', () => {
  it('Ada: `free` on her phone’s anonymous id, then `pro` under her user id — merged, `pro`', async () => {
    expect(plan(to).get(who('user-ada'))).toBe('pro')
    // By stored id alone the phone would be `free`: the merge is what makes her `pro`.
    const byStoredId = plan(to, false, (r: EventRow) => r.person_id)
    expect(byStoredId.get('ada-phone')).toBe('free')
    const pro = await listed({ has: PRO })
    const free = await listed({ has: { ...PRO, value: 'free' } })
    expect(pro).toContain(who('user-ada'))
    expect(free).not.toContain(who('user-ada'))
    expect(pro).toEqual(referenceListed(has(PRO).ref))
  })

  it('Grace: `pro` as of the first week’s end, `free` as of `to` — she leaves the cohort', async () => {
    const grace = who('user-grace')
    expect(plan(new Date(WEEK_2)).get(grace)).toBe('pro')
    expect(plan(to).get(grace)).toBe('free')
    const firstWeek = await listed({ has: PRO }, { to: WEEK_2 })
    const both = await listed({ has: PRO })
    expect(firstWeek).toContain(grace)
    expect(both).not.toContain(grace)
    expect(firstWeek).toEqual(referenceListed(has(PRO, new Date(WEEK_2)).ref, new Date(WEEK_2)))
  })

  it('a group call’s traits are the group’s: Grace’s company plan is not hers', async () => {
    const group = rows.find((r) => r.message_id === 'pd-grace-group')!
    expect(personOf(group)).toBe(who('user-grace'))
    expect((group.traits as { plan: string }).plan).toBe('pro')
    expect(await listed({ has: { ...PRO, value: 'free' } })).toContain(who('user-grace'))
  })

  it('the chain: `team` as of `to`, though a later event sets `free`', async () => {
    const chain = who('chain-c')
    expect(plan(to).get(chain)).toBe('team')
    expect(plan(new Date('2024-11-13T00:00:00Z')).get(chain)).toBe('free')
    const team = { ...PRO, value: 'team' }
    expect(await listed({ has: team })).toContain(chain)
    expect(await listed({ has: team })).toEqual(referenceListed(has(team).ref))
  })

  it('bots per event: the bot device’s `pro` counts only with include_bots', async () => {
    const botty = who('user-botty')
    expect(plan(to).get(botty)).toBe('free')
    expect(plan(to, true).get(botty)).toBe('pro')
    const withBots = await listed({ has: PRO }, { include_bots: true })
    expect(withBots).toContain(botty)
    expect(await listed({ has: PRO })).not.toContain(botty)
    expect(withBots).toEqual(referenceListed(has(PRO).ref, to, true))
  })

  it('one millisecond, two plans: the greater message id’s is the latest', async () => {
    expect(plan(to).get(who('same-ms'))).toBe('pro')
    expect(await listed({ has: PRO })).toContain(who('same-ms'))
  })

  it('a person without the trait counts as "": in `is_not`, never in a comparison', async () => {
    const isNot = { ...PRO, op: 'is_not' as const }
    const got = await listed({ has: isNot })
    const unset = who('dst-owl')
    expect(plan(to).has(unset)).toBe(false)
    expect(got).toContain(unset)
    expect(got).toEqual(referenceListed(has(isNot).ref))
    expect(await listed({ has: { property: 'seats', op: 'lt', value: 1000 } })).not.toContain(unset)
  })
})

describe('a bound past 2^53 is the number it is', () => {
  // Such doubles are integers the database driver refused to bind as numbers: these were 503s.
  for (const [name, h, members] of [
    ['seats lt 1e21: everyone with a number of seats', { property: 'seats', op: 'lt', value: 1e21 }, true],
    ['seats gt 2^53: nobody', { property: 'seats', op: 'gt', value: 2 ** 53 }, false],
  ] as Array<[string, Has, boolean]>) {
    it(name, async () => {
      const want = referenceListed(has(h).ref)
      expect(want.length > 0).toBe(members)
      expect(await listed({ has: h })).toEqual(want)
    })
  }
})

const COHORTS: Array<[string, Has]> = [
  ['plan is pro', PRO],
  ['plan is_not pro', { ...PRO, op: 'is_not' }],
  ['plan contains "EAM"', { property: 'plan', op: 'contains', value: 'EAM' }],
  ['seats gt 5', { property: 'seats', op: 'gt', value: 5 }],
  ['plan matches ^(free|team)$', { property: 'plan', op: 'matches', value: '^(free|team)$' }],
]

describe('stats of a property cohort', () => {
  for (const [name, h] of COHORTS) {
    for (const includeBots of [false, true]) {
      it(`${name} equals the reference over its persons, both periods (include_bots=${includeBots})`, async () => {
        const cohort = has(h)
        const got = await ask<StatsResponse>({
          kind: 'stats',
          include_bots: includeBots,
          cohort: cohort.spec,
        })
        const member = cohortFilter(rows, PRODUCT_SITE, includeBots, cohort.ref, personOf)
        const mine = rows.filter((r) => member(personOf(r)))
        const previousFrom = new Date(2 * from.getTime() - to.getTime())
        const current = statsOf(inRange(mine, PRODUCT_SITE, from, to, includeBots), personOf)
        const previous = statsOf(inRange(mine, PRODUCT_SITE, previousFrom, from, includeBots), personOf)
        const everyone = statsOf(inRange(rows, PRODUCT_SITE, from, to, includeBots), personOf)
        expect(current.visitors).toBeGreaterThan(3)
        expect(current.visitors).toBeLessThan(everyone.visitors)
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
  }

  it('as of the query’s `to`: the first week alone counts Grace as `pro`', async () => {
    const until = new Date(WEEK_2)
    const got = await ask<StatsResponse>({ kind: 'stats', to: WEEK_2, cohort: { has: PRO } })
    const member = cohortFilter(rows, PRODUCT_SITE, false, has(PRO, until).ref, personOf)
    const asOfTo = cohortFilter(rows, PRODUCT_SITE, false, has(PRO).ref, personOf)
    expect(member(who('user-grace'))).toBe(true)
    expect(asOfTo(who('user-grace'))).toBe(false)
    const want = statsOf(
      inRange(
        rows.filter((r) => member(personOf(r))),
        PRODUCT_SITE,
        from,
        until,
      ),
      personOf,
    )
    expect(got.visitors).toBe(want.visitors)
    expect(got.events).toBe(want.events)
    expect(got.visits).toBe(want.visits)
  })

  it('did and has together are both: signed up in the first week and `pro`', async () => {
    const cohort = { did: { event: 'signup' }, from: PRODUCT_FROM, to: WEEK_2, has: PRO }
    const got = await ask<StatsResponse>({ kind: 'stats', cohort })
    const ref: RefCohortFilter = {
      did: { event: 'signup' },
      from,
      to: new Date(WEEK_2),
      has: { ...PRO, asOf: to },
    }
    const member = cohortFilter(rows, PRODUCT_SITE, false, ref, personOf)
    const didOnly = cohortFilter(rows, PRODUCT_SITE, false, { ...ref, has: undefined }, personOf)
    const mine = rows.filter((r) => member(personOf(r)))
    const want = statsOf(inRange(mine, PRODUCT_SITE, from, to), personOf)
    const wider = statsOf(
      inRange(
        rows.filter((r) => didOnly(personOf(r))),
        PRODUCT_SITE,
        from,
        to,
      ),
      personOf,
    )
    expect(want.visitors).toBeGreaterThan(3)
    expect(want.visitors).toBeLessThan(wider.visitors)
    expect(got.visitors).toBe(want.visitors)
    expect(got.events).toBe(want.events)
    expect(got.visits).toBe(want.visits)
  })

  it('answers the GET form, the cohort as JSON text, the key also spelt `traits.plan`', async () => {
    const spelt = { has: { ...PRO, property: 'traits.plan' } }
    const q = new URLSearchParams({ from: PRODUCT_FROM, to: PRODUCT_TO, cohort: JSON.stringify(spelt) })
    const res = await get(env().app, `/v1/sites/${PRODUCT_SITE}/stats?${q}`, KEY_A)
    expect(res.status).toBe(200)
    const body = (await res.json()) as StatsResponse
    const member = cohortFilter(rows, PRODUCT_SITE, false, has(PRO).ref, personOf)
    const want = statsOf(
      inRange(
        rows.filter((r) => member(personOf(r))),
        PRODUCT_SITE,
        from,
        to,
      ),
      personOf,
    )
    expect(body.visitors).toBe(want.visitors)
    expect(body.events).toBe(want.events)
  })
})

describe('breakdown of a property cohort', () => {
  it('by page equals the reference over the `free` persons', async () => {
    const cohort = has({ ...PRO, value: 'free' })
    const got = await ask<BreakdownResponse>({ kind: 'breakdown', by: 'page', limit: 5, cohort: cohort.spec })
    const member = cohortFilter(rows, PRODUCT_SITE, false, cohort.ref, personOf)
    const inside = inRange(rows, PRODUCT_SITE, from, to)
    const want = breakdownOf(
      inside.filter((r) => member(personOf(r))),
      'page',
      [],
      5,
      0,
      personOf,
    )
    const all = breakdownOf(inside, 'page', [], 5, 0, personOf)
    expect(want.rows.length).toBe(5)
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
})

describe('trends of a property cohort', () => {
  it('events and persons per local day equal the reference over the `team` persons', async () => {
    const cohort = has({ property: 'plan', op: 'is', value: 'team' })
    const series: RefSeries[] = [{ math: 'events' }, { math: 'persons' }]
    const got = await ask<TrendsResponse>({
      kind: 'trends',
      interval: 'day',
      tz: PRODUCT_TZ,
      series,
      cohort: cohort.spec,
    })
    const member = cohortFilter(rows, PRODUCT_SITE, false, cohort.ref, personOf)
    const mine = inRange(rows, PRODUCT_SITE, from, to)
      .filter((r) => member(personOf(r)))
      .map((r) => ({ ...r, person_id: personOf(r) }))
    const buckets = got.series![0]!.points.map((p) => p.bucket)
    const want = trendLines(mine, buckets, series, []).map((l) => l.points.map((p) => p.value))
    expect(want[1]!.some((v) => (v ?? 0) > 0)).toBe(true)
    expect(got.series!.map((l) => l.points.map((p) => p.value))).toEqual(want)
  })
})

describe('funnels of a property cohort', () => {
  const STEPS = [{ event: 'signup' }, { event: 'activate' }, { event: 'purchase' }]

  for (const [name, h] of [
    ['plan is pro', PRO],
    ['plan is_not free', { ...PRO, op: 'is_not', value: 'free' }],
    ['seats lte 6', { property: 'seats', op: 'lte', value: 6 }],
  ] as Array<[string, Has]>) {
    for (const order of ['ordered', 'any_order'] as const) {
      it(`signup → activate → purchase, ${order}, ${name}: the reference over its persons`, async () => {
        const cohort = has(h)
        const got = await ask<FunnelResponse>({
          kind: 'funnel',
          steps: STEPS,
          order,
          window_s: 7 * DAY_S,
          cohort: cohort.spec,
        })
        const spec = { site: PRODUCT_SITE, from, to, windowMs: 7 * DAY_S * 1000, order, steps: STEPS }
        const want = funnelOf(rows, { ...spec, cohort: cohort.ref }, personOf)
        const all = funnelOf(rows, spec, personOf)
        expect(want.steps[1]!.persons).toBeGreaterThan(2)
        expect(want.steps[0]!.persons).toBeLessThan(all.steps[0]!.persons)
        expectSteps(got.steps, want.steps)
      })
    }
  }
})

describe('retention of a property cohort', () => {
  for (const [mode, period, h] of [
    ['recurring', 'day', PRO],
    ['first_time', 'week', { property: 'seats', op: 'gte', value: 4 }],
  ] as Array<['recurring' | 'first_time', 'day' | 'week', Has]>) {
    it(`${mode} by ${period}, ${h.property} ${h.op} ${h.value}: the reference over its persons`, async () => {
      const cohort = has(h)
      const got = await ask<RetentionResponse>({
        kind: 'retention',
        start: { event: 'pageview' },
        mode,
        period,
        tz: PRODUCT_TZ,
        cohort: cohort.spec,
      })
      const spec = {
        site: PRODUCT_SITE,
        from,
        to,
        tz: PRODUCT_TZ,
        start: { event: '$pageview' },
        mode,
        period,
      }
      const want = retentionOf(rows, { ...spec, cohort: cohort.ref }, personOf)
      const all = retentionOf(rows, spec, personOf)
      const size = (t: typeof want) => t.cohorts.reduce((n, c) => n + c.persons, 0)
      expect(size(want)).toBeGreaterThan(5)
      expect(size(want)).toBeLessThan(size(all))
      expect(want.cohorts.some((c) => c.retained.some((r) => r.period > 0 && r.persons > 0))).toBe(true)
      expect(got.from).toBe(want.from)
      expect(got.cohorts).toEqual(
        want.cohorts.map((c) => ({
          ...c,
          retained: c.retained.map((r) => ({ ...r, rate: expect.closeTo(r.rate, 9) })),
        })),
      )
    })
  }
})

describe('the property is bound, never spliced', () => {
  it('explain shows the trait key and value as parameters only', async () => {
    const key = "plan') OR 1=1 --"
    const value = "pro' OR '1'='1"
    const res = await query({
      kind: 'stats',
      cohort: { has: { property: key, op: 'is', value } },
      explain: true,
    })
    expect(res.status).toBe(200)
    const planned = (await res.json()) as { sql: string; params: Record<string, unknown> }
    expect(planned.sql).not.toContain('OR 1=1')
    expect(planned.sql).not.toContain("'1'='1")
    expect(planned.sql).toContain('{trait:String}')
    expect(Object.values(planned.params)).toContain(key)
    expect(Object.values(planned.params)).toContain(value)
    // Run for real: the odd key is just a trait nobody has.
    const got = await ask<StatsResponse>({
      kind: 'stats',
      cohort: { has: { property: key, op: 'is', value } },
    })
    expect(got.visitors).toBe(0)
  })
})

describe('a bad cohort is refused with 400 invalid_query', () => {
  const has = (h: Record<string, unknown>) => ({ has: h })
  for (const [cohort, message] of [
    [{}, /cohort: a cohort is \{"did": goal, "from", "to"\}.*\{"has"/],
    [
      has({ property: 'plan', op: 'like', value: 'x' }),
      /cohort\.has\.op: expected one of is, is_not, contains/,
    ],
    [has({ property: 'seats', op: 'gt', value: 'five' }), /cohort\.has\.value: gt takes a finite number/],
    [has({ property: 'plan', op: 'is', value: 5 }), /cohort\.has\.value: is takes a string/],
    [has({ property: 'plan', op: 'matches', value: '' }), /cohort\.has\.value: a matches pattern is 1–256/],
    [has({ property: '', op: 'is', value: 'x' }), /cohort\.has\.property: expected a trait key/],
    [has({ property: 'traits.', op: 'is', value: 'x' }), /cohort\.has\.property: expected a trait key/],
    [has({ property: 'x'.repeat(201), op: 'is', value: 'x' }), /cohort\.has\.property/],
    [has({ op: 'is', value: 'x' }), /cohort\.has\.property/],
    [
      has({ property: 'plan', op: 'is', value: 'pro', dimension: 'x' }),
      /cohort\.has: unknown field\(s\): dimension/,
    ],
    [{ has: 'plan=pro' }, /cohort\.has/],
    [
      { has: PRO, from: PRODUCT_FROM },
      /cohort\.from: `from` bounds the range of `did`; a `has` cohort takes none/,
    ],
    [{ has: PRO, did: { event: 'signup' }, to: WEEK_2 }, /cohort\.from: required with `did`/],
    [{ has: PRO, who: 'me' }, /cohort: unknown field\(s\): who/],
  ] as Array<[Record<string, unknown>, RegExp]>) {
    for (const kind of ['stats', 'funnel', 'retention']) {
      it(`${kind}: ${JSON.stringify(cohort).slice(0, 80)}`, async () => {
        const extra =
          kind === 'funnel'
            ? { steps: [{ event: 'signup' }, { event: 'activate' }] }
            : kind === 'retention'
              ? { start: { event: 'signup' } }
              : {}
        const body = await refused({ kind, ...extra, cohort })
        expect(body.error.message).toMatch(message)
      })
    }
  }

  it('an RE2 pattern RE2 refuses is the 400 with its reason', async () => {
    const res = await query({
      kind: 'stats',
      cohort: { has: { property: 'plan', op: 'matches', value: '(pro' } },
    })
    expect(res.status).toBe(400)
    const body = (await res.json()) as ErrorJson
    expect(body.error.code).toBe('invalid_query')
    expect(body.error.message).toMatch(
      /matches pattern \(in filters, a goal or the cohort\) is not valid RE2/,
    )
  })
})
