import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FunnelResponse } from '../src/insights/funnel.ts'
import type { FunnelPersonsResponse } from '../src/insights/funnel-persons.ts'
import { expectSteps } from './funnel-expect.ts'
import {
  loadProductDataset,
  PRODUCT_FROM,
  PRODUCT_SITE,
  PRODUCT_TO,
  PRODUCT_TZ,
  storedRows,
} from './product-dataset.ts'
import { attemptsOf, bestOf, funnelOf, type RefFunnelSpec } from './reference/funnels.ts'
import { resolvePersons } from './reference/persons.ts'
import { KEY_A, openTestEnv, post, type TestEnv } from './support.ts'

/**
 * Funnels on chdb against the plain-TypeScript reference (test/reference/funnels.ts) over the
 * shared product dataset, with persons resolved by the identity reference: a person who signs
 * up on one device and buys on another converts once, as one person.
 */

let env: TestEnv
const rows = storedRows()
const persons = resolvePersons(rows)
const personOf = persons.personOf

beforeAll(async () => {
  env = await openTestEnv({ seed: false })
  await loadProductDataset(env.warehouse)
})
afterAll(() => env?.close())

async function query<T = FunnelResponse>(spec: Record<string, unknown>, kind = 'funnel'): Promise<T> {
  const res = await post(env.app, `/v1/sites/${PRODUCT_SITE}/query`, KEY_A, {
    kind,
    from: PRODUCT_FROM,
    to: PRODUCT_TO,
    ...spec,
  })
  if (res.status !== 200) throw new Error(`${res.status}: ${await res.text()}`)
  return (await res.json()) as T
}

const STEPS = [{ event: 'signup' }, { event: 'activate' }, { event: 'purchase' }]
const DAY_S = 86_400
const ORDERS = ['ordered', 'strict', 'any_order'] as const

function ref(spec: Partial<RefFunnelSpec>): RefFunnelSpec {
  return {
    site: PRODUCT_SITE,
    from: new Date(PRODUCT_FROM),
    to: new Date(PRODUCT_TO),
    windowMs: 7 * DAY_S * 1000,
    order: 'ordered',
    steps: STEPS,
    ...spec,
  }
}

describe('funnels over merged persons', () => {
  for (const order of ORDERS) {
    it(`signup → activate → purchase, ${order}, with and without bots`, async () => {
      for (const includeBots of [false, true]) {
        const got = await query({ steps: STEPS, order, include_bots: includeBots, window_s: 7 * DAY_S })
        const want = funnelOf(rows, ref({ order, includeBots }), personOf)
        expect(want.steps[2]!.persons).toBeGreaterThan(3)
        expectSteps(got.steps, want.steps)
      }
    })
  }

  it('an exclusion step, a short window and a property filter', async () => {
    const steps = [
      { event: 'pageview', filters: [{ dimension: 'page', op: 'is', value: '/pricing' }] },
      { event: 'signup' },
      { event: 'purchase' },
    ]
    const got = await query({ steps, exclusions: [{ event: 'activate' }], window_s: 2 * DAY_S })
    const want = funnelOf(
      rows,
      ref({
        steps: [
          { event: '$pageview', filters: [{ dimension: 'page', op: 'is', value: '/pricing' }] },
          { event: 'signup' },
          { event: 'purchase' },
        ],
        exclusions: [{ event: 'activate' }],
        windowMs: 2 * DAY_S * 1000,
      }),
      personOf,
    )
    expect(want.steps[1]!.persons).toBeGreaterThan(3)
    expectSteps(got.steps, want.steps)
  })

  it('keeps only a cohort: persons who did activate in the first week, on any of their ids', async () => {
    const cohort = {
      did: { event: 'activate' },
      from: '2024-10-28T00:00:00-04:00',
      to: '2024-11-04T00:00:00-05:00',
    }
    const steps = [{ event: 'pageview' }, { event: 'signup' }, { event: 'purchase' }]
    const got = await query({ steps, cohort, window_s: 7 * DAY_S })
    const want = funnelOf(
      rows,
      ref({
        steps: [{ event: '$pageview' }, { event: 'signup' }, { event: 'purchase' }],
        cohort: { did: { event: 'activate' }, from: new Date(cohort.from), to: new Date(cohort.to) },
      }),
      personOf,
    )
    const all = funnelOf(
      rows,
      ref({ steps: [{ event: '$pageview' }, { event: 'signup' }, { event: 'purchase' }] }),
      personOf,
    )
    expect(want.steps[0]!.persons).toBeGreaterThan(3)
    expect(want.steps[0]!.persons).toBeLessThan(all.steps[0]!.persons)
    expectSteps(got.steps, want.steps)
  })

  it('counts each merged person once: the hand cases convert across devices', () => {
    // Ada buys 7 days and an hour after signing up: a 10-day window holds her whole journey.
    const best = bestOf(attemptsOf(rows, ref({ windowMs: 10 * DAY_S * 1000 }), personOf), () => '')
    const level = (id: string) => best.get(`\u0000${persons.personOfId(PRODUCT_SITE, id)}`)?.times.length
    // Ada signs up on her phone, activates on her laptop, buys on the phone.
    expect(level('user-ada')).toBe(3)
    // The alias chain A→B→C: signup as chain-a, activate as chain-b, purchase as chain-c.
    expect(level('chain-c')).toBe(3)
    // Same millisecond: nothing follows the signup strictly later.
    expect(level('same-ms')).toBe(1)
    const any = bestOf(attemptsOf(rows, ref({ order: 'any_order' }), personOf), () => '')
    expect(any.get(`\u0000${persons.personOfId(PRODUCT_SITE, 'same-ms')}`)?.times.length).toBe(3)
  })

  it('breaks down by country and by a property of the first step', async () => {
    for (const by of ['country', 'properties.plan']) {
      const got = await query({ steps: STEPS, breakdown: by, breakdown_limit: 3, window_s: 7 * DAY_S })
      const want = funnelOf(rows, ref({ breakdown: by, breakdownLimit: 3 }), personOf)
      expect(want.breakdown!.total).toBeGreaterThan(1)
      expect(got.breakdown!.total_groups).toBe(want.breakdown!.total)
      expect(got.breakdown!.groups.map((g) => g.value)).toEqual(want.breakdown!.groups.map((g) => g.value))
      got.breakdown!.groups.forEach((g, i) => {
        expectSteps(g.steps, want.breakdown!.groups[i]!.steps)
      })
      if (want.breakdown!.other === null) expect(got.breakdown!.other).toBeNull()
      else expectSteps(got.breakdown!.other!, want.breakdown!.other)
    }
  })

  it(`trends conversion per local day in ${PRODUCT_TZ}, across the DST change`, async () => {
    const got = await query({ steps: STEPS, interval: 'day', tz: PRODUCT_TZ, window_s: 7 * DAY_S })
    const want = funnelOf(rows, ref({ interval: 'day', tz: PRODUCT_TZ }), personOf)
    expect(want.trend!.some((b) => b.bucket === '2024-11-03T04:00:00.000Z')).toBe(true)
    expect(got.trend!.buckets).toEqual(
      want.trend!.map((b) => ({ ...b, conversion: expect.closeTo(b.converted / b.entered, 9) })),
    )
  })

  it('lists the merged persons who converted or dropped, by their person id', async () => {
    const best = [...bestOf(attemptsOf(rows, ref({}), personOf), () => '').values()]
    for (const [step, status] of [
      [3, 'converted'],
      [2, 'dropped'],
    ] as const) {
      const want = best
        .filter((a) => (status === 'converted' ? a.times.length >= step : a.times.length === step - 1))
        .map((a) => a.person)
        .sort()
      const got = await query<FunnelPersonsResponse>(
        { steps: STEPS, window_s: 7 * DAY_S, step, status, limit: 1000 },
        'funnel_persons',
      )
      expect(got.total).toBe(want.length)
      expect(got.persons.map((p) => p.person)).toEqual(want)
    }
  })
})
