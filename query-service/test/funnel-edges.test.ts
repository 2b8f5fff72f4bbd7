import type { EventRow } from '@sightline/warehouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FunnelResponse } from '../src/insights/funnel.ts'
import type { FunnelPersonsResponse } from '../src/insights/funnel-persons.ts'
import { FUNNEL_FROM, FUNNEL_SITE, FUNNEL_TO, FUNNEL_TZ, funnelBlocks } from './funnel-dataset.ts'
import { expectSteps } from './funnel-expect.ts'
import { attemptsOf, bestOf, funnelOf, type RefFunnelSpec } from './reference/funnels.ts'
import { get, KEY_A, openTestEnv, post, type TestEnv } from './support.ts'

/**
 * Funnels on chdb against the plain-TypeScript reference (test/reference/funnels.ts) over
 * generated traffic and the hand-made edge cases of funnel-dataset.ts (no identity merges:
 * persons are the stored ids; funnels.test.ts covers merged persons).
 */

let env: TestEnv
const { generated, edges } = funnelBlocks()
const rows = [...generated, ...edges]
const personOf = (r: EventRow) => r.person_id

beforeAll(async () => {
  env = await openTestEnv({ seed: false })
  await env.warehouse.insert('events', generated, { dedupToken: 'fn-generated' })
  // A retried write of the same block: the table drops it, so nothing may count twice.
  await env.warehouse.insert('events', generated, { dedupToken: 'fn-generated' })
  await env.warehouse.insert('events', edges, { dedupToken: 'fn-edges' })
})
afterAll(() => env?.close())

async function query(spec: Record<string, unknown>, kind = 'funnel'): Promise<FunnelResponse> {
  const res = await post(env.app, `/v1/sites/${FUNNEL_SITE}/query`, KEY_A, {
    kind,
    from: FUNNEL_FROM,
    to: FUNNEL_TO,
    ...spec,
  })
  if (res.status !== 200) throw new Error(`${res.status}: ${await res.text()}`)
  return (await res.json()) as FunnelResponse
}

const SIGNUP = [{ event: 'pageview' }, { event: 'signup_started' }, { event: 'signup_completed' }]
const SIGNUP_REF = [{ event: '$pageview' }, { event: 'signup_started' }, { event: 'signup_completed' }]
const ABC = ['a', 'b', 'c'].map((event) => ({ event }))
const HOUR_S = 3600

function ref(spec: Partial<RefFunnelSpec> & Pick<RefFunnelSpec, 'steps'>): RefFunnelSpec {
  return {
    site: FUNNEL_SITE,
    from: new Date(FUNNEL_FROM),
    to: new Date(FUNNEL_TO),
    windowMs: 14 * 86_400_000,
    order: 'ordered',
    ...spec,
  }
}

describe('funnel steps, against the reference', () => {
  for (const order of ['ordered', 'strict', 'any_order'] as const) {
    it(`signup funnel, ${order}, with and without bots`, async () => {
      for (const includeBots of [false, true]) {
        const got = await query({ steps: SIGNUP, order, include_bots: includeBots, window_s: 2 * HOUR_S })
        const want = funnelOf(
          rows,
          ref({ steps: SIGNUP_REF, order, includeBots, windowMs: 2 * HOUR_S * 1000 }),
          personOf,
        )
        expect(want.steps[0]!.persons).toBeGreaterThan(50)
        expect(want.steps[2]!.persons).toBeGreaterThan(0)
        expectSteps(got.steps, want.steps)
      }
    })

    it(`edge cases a → b → c with an exclusion, ${order}`, async () => {
      const got = await query({ steps: ABC, order, window_s: HOUR_S, exclusions: [{ event: 'x' }] })
      const want = funnelOf(
        rows,
        ref({ steps: ABC, order, windowMs: HOUR_S * 1000, exclusions: [{ event: 'x' }] }),
        personOf,
      )
      expectSteps(got.steps, want.steps)
    })
  }

  it('filters on step properties', async () => {
    const steps = [
      { event: 'a', filters: [{ dimension: 'properties.plan', op: 'is', value: 'pro' }] },
      { event: 'b' },
    ]
    const got = await query({ steps, window_s: HOUR_S })
    const want = funnelOf(
      rows,
      ref({
        steps: [
          { event: 'a', filters: [{ dimension: 'properties.plan', op: 'is', value: 'pro' }] },
          { event: 'b' },
        ],
        windowMs: HOUR_S * 1000,
      }),
      personOf,
    )
    expect(want.steps[0]!.persons).toBe(2)
    expectSteps(got.steps, want.steps)
  })

  it('takes goals inline, with labels echoed', async () => {
    const steps = [
      {
        goal: {
          event: 'pageview',
          filters: [{ dimension: 'page', op: 'is', value: '/pricing' }],
          label: 'pricing',
        },
      },
      { goal: { event: 'signup_started', value: 'amount' } },
    ]
    const got = await query({ steps, window_s: HOUR_S })
    const want = funnelOf(
      rows,
      ref({
        steps: [
          { event: '$pageview', filters: [{ dimension: 'page', op: 'is', value: '/pricing' }] },
          { event: 'signup_started' },
        ],
        windowMs: HOUR_S * 1000,
      }),
      personOf,
    )
    expect(want.steps[1]!.persons).toBeGreaterThan(0)
    expectSteps(got.steps, want.steps)
    expect(got.steps.map((s) => s.label)).toEqual(['pricing', null])
  })
})

describe('the edge cases behave as docs/funnels-retention.md says', () => {
  const levels = (order: RefFunnelSpec['order']) => {
    const spec = ref({ steps: ABC, order, windowMs: HOUR_S * 1000, exclusions: [{ event: 'x' }] })
    const best = bestOf(attemptsOf(rows, spec, personOf), () => '')
    return Object.fromEntries([...best.values()].map((a) => [a.person, a.times.length]))
  }
  it('in the reference', () => {
    const ordered = levels('ordered')
    const strict = levels('strict')
    const any = levels('any_order')
    expect([ordered['e-same-ms'], strict['e-same-ms'], any['e-same-ms']]).toEqual([1, 1, 3])
    expect([ordered['e-before'], any['e-before']]).toEqual([undefined, 2])
    expect(ordered['e-repeat']).toBe(3)
    expect([ordered['e-strict'], strict['e-strict']]).toEqual([3, 2])
    expect([ordered['e-any'], any['e-any']]).toEqual([1, 3])
    expect(ordered['e-excl']).toBe(1)
    expect(ordered['e-dst']).toBe(3)
    expect(ordered['e-late']).toBe(2)
    expect(ordered['e-after-to']).toBe(3)
  })
})

describe('breakdown and trend', () => {
  it('breaks down by a dimension taken at the first step, folding the rest into other', async () => {
    for (const [by, limit] of [
      ['country', 3],
      ['page', 4],
      ['properties.plan', 10],
    ] as const) {
      const steps =
        by === 'properties.plan' ? [{ event: 'signup_started' }, { event: 'signup_completed' }] : SIGNUP
      const refSteps =
        by === 'properties.plan' ? [{ event: 'signup_started' }, { event: 'signup_completed' }] : SIGNUP_REF
      const got = await query({ steps, breakdown: by, breakdown_limit: limit, window_s: 2 * HOUR_S })
      const want = funnelOf(
        rows,
        ref({ steps: refSteps, breakdown: by, breakdownLimit: limit, windowMs: 2 * HOUR_S * 1000 }),
        personOf,
      )
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

  for (const interval of ['day', 'week'] as const) {
    it(`conversion trend per ${interval} in ${FUNNEL_TZ}`, async () => {
      const got = await query({ steps: SIGNUP, interval, tz: FUNNEL_TZ, window_s: 2 * HOUR_S })
      const want = funnelOf(
        rows,
        ref({ steps: SIGNUP_REF, interval, tz: FUNNEL_TZ, windowMs: 2 * HOUR_S * 1000 }),
        personOf,
      )
      expect(want.trend!.length).toBeGreaterThan(1)
      expect(got.trend!.buckets).toEqual(
        want.trend!.map((b) => ({
          ...b,
          conversion: expect.closeTo(b.entered === 0 ? 0 : b.converted / b.entered, 9),
        })),
      )
    })
  }

  it('answers the GET form with JSON steps', async () => {
    const q = new URLSearchParams({
      from: FUNNEL_FROM,
      to: FUNNEL_TO,
      steps: JSON.stringify(ABC),
      window_s: '3600',
    })
    const res = await get(env.app, `/v1/sites/${FUNNEL_SITE}/funnel?${q}`, KEY_A)
    expect(res.status).toBe(200)
    const body = (await res.json()) as FunnelResponse
    expectSteps(body.steps, funnelOf(rows, ref({ steps: ABC, windowMs: HOUR_S * 1000 }), personOf).steps)
  })
})

describe('funnel persons', () => {
  for (const order of ['ordered', 'any_order'] as const) {
    it(`pages through the persons who converted or dropped at a step (${order})`, async () => {
      const spec = ref({ steps: SIGNUP_REF, order, windowMs: 2 * HOUR_S * 1000 })
      const best = [...bestOf(attemptsOf(rows, spec, personOf), () => '').values()]
      for (const [step, status] of [
        [1, 'converted'],
        [2, 'converted'],
        [3, 'converted'],
        [2, 'dropped'],
        [3, 'dropped'],
      ] as const) {
        const want = best
          .filter((a) => (status === 'converted' ? a.times.length >= step : a.times.length === step - 1))
          .sort((a, b) => (a.person < b.person ? -1 : 1))
        expect(want.length).toBeGreaterThan(0)
        const wantPeople = want.map((a) => ({
          person: a.person,
          steps_reached: a.times.length,
          started_at: new Date(a.times[0]!).toISOString(),
          last_step_at: new Date(a.times.at(-1)!).toISOString(),
        }))
        // The first two pages, the last one and one past the end.
        const last = Math.floor((want.length - 1) / 7) * 7
        for (const offset of new Set([0, 7, last, last + 7])) {
          const page = (await query(
            { steps: SIGNUP, order, window_s: 2 * HOUR_S, step, status, limit: 7, offset },
            'funnel_persons',
          )) as unknown as FunnelPersonsResponse
          expect(page.persons).toEqual(wantPeople.slice(offset, offset + 7))
          if (page.persons.length > 0) expect(page.total).toBe(want.length)
        }
      }
    })
  }
})
