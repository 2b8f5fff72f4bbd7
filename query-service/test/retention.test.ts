import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RetentionResponse } from '../src/insights/retention.ts'
import {
  loadProductDataset,
  PRODUCT_FROM,
  PRODUCT_HISTORY_FROM,
  PRODUCT_SITE,
  PRODUCT_TO,
  PRODUCT_TZ,
  storedRows,
} from './product-dataset.ts'
import { resolvePersons } from './reference/persons.ts'
import { type RefRetentionSpec, retentionOf } from './reference/retention.ts'
import { get, KEY_A, openTestEnv, post, type TestEnv } from './support.ts'

/**
 * Retention on chdb against the plain-TypeScript reference (test/reference/retention.ts) over
 * the shared product dataset: merged persons, bots, redeliveries, a DST change in New York.
 */

let env: TestEnv
const rows = storedRows()
const { personOf } = resolvePersons(rows)

beforeAll(async () => {
  env = await openTestEnv({ seed: false })
  await loadProductDataset(env.warehouse)
})
afterAll(() => env?.close())

async function query(spec: Record<string, unknown>): Promise<RetentionResponse> {
  const res = await post(env.app, `/v1/sites/${PRODUCT_SITE}/query`, KEY_A, { kind: 'retention', ...spec })
  if (res.status !== 200) throw new Error(`${res.status}: ${await res.text()}`)
  return (await res.json()) as RetentionResponse
}

function expectTable(got: RetentionResponse, want: ReturnType<typeof retentionOf>) {
  expect(got.from).toBe(want.from)
  expect(got.to).toBe(want.to)
  expect(got.cohorts).toEqual(
    want.cohorts.map((c) => ({
      ...c,
      retained: c.retained.map((r) => ({ ...r, rate: expect.closeTo(r.rate, 9) })),
    })),
  )
}

const ref = (spec: Omit<RefRetentionSpec, 'site' | 'tz'> & { tz?: string }): RefRetentionSpec => ({
  site: PRODUCT_SITE,
  tz: PRODUCT_TZ,
  ...spec,
})

describe('retention, against the reference', () => {
  for (const period of ['day', 'week'] as const) {
    for (const mode of ['first_time', 'recurring'] as const) {
      it(`${mode} by ${period}, start pageview, any return event, in ${PRODUCT_TZ}`, async () => {
        const got = await query({
          from: PRODUCT_FROM,
          to: PRODUCT_TO,
          start: { event: 'pageview' },
          mode,
          period,
          tz: PRODUCT_TZ,
        })
        const want = retentionOf(
          rows,
          ref({
            from: new Date(PRODUCT_FROM),
            to: new Date(PRODUCT_TO),
            start: { event: '$pageview' },
            mode,
            period,
          }),
          personOf,
        )
        expect(want.cohorts.length).toBe(period === 'day' ? 14 : 2)
        expect(want.cohorts.some((c) => c.retained.some((r) => r.period > 0 && r.persons > 0))).toBe(true)
        expectTable(got, want)
      })
    }
  }

  it('signup → purchase, first time, weekly, bots included, over a range widened to whole weeks', async () => {
    // Mid-week bounds: the table covers the Mondays around them.
    const from = '2024-10-16T12:00:00-04:00'
    const to = '2024-11-06T12:00:00-05:00'
    for (const includeBots of [false, true]) {
      const got = await query({
        from,
        to,
        start: { goal: { event: 'signup' } },
        return: { event: 'purchase' },
        mode: 'first_time',
        period: 'week',
        tz: PRODUCT_TZ,
        include_bots: includeBots,
      })
      const want = retentionOf(
        rows,
        ref({
          from: new Date(from),
          to: new Date(to),
          start: { event: 'signup' },
          returning: { event: 'purchase' },
          mode: 'first_time',
          period: 'week',
          includeBots,
        }),
        personOf,
      )
      expect(want.from).toBe('2024-10-14T04:00:00.000Z')
      expect(want.to).toBe('2024-11-11T05:00:00.000Z')
      expect(want.cohorts.some((c) => c.retained.some((r) => r.period > 0 && r.persons > 0))).toBe(true)
      expectTable(got, want)
    }
  })

  it('monthly in UTC and with a property filter on the start event', async () => {
    const spec = { from: PRODUCT_HISTORY_FROM, to: PRODUCT_TO, mode: 'recurring', period: 'month' } as const
    const got = await query({
      ...spec,
      start: { event: 'pageview', filters: [{ dimension: 'page', op: 'is', value: '/pricing' }] },
    })
    const want = retentionOf(
      rows,
      ref({
        ...spec,
        from: new Date(spec.from),
        to: new Date(spec.to),
        tz: 'UTC',
        start: { event: '$pageview', filters: [{ dimension: 'page', op: 'is', value: '/pricing' }] },
      }),
      personOf,
    )
    expect(want.cohorts.length).toBe(2)
    expectTable(got, want)
  })

  it('first-ever means across all time: a start event before `from` keeps a person out of later cohorts', () => {
    const from = new Date(PRODUCT_FROM)
    const to = new Date(PRODUCT_TO)
    const first = retentionOf(
      rows,
      ref({ from, to, start: { event: '$pageview' }, mode: 'first_time', period: 'week' }),
      personOf,
    )
    const recurring = retentionOf(
      rows,
      ref({ from, to, start: { event: '$pageview' }, mode: 'recurring', period: 'week' }),
      personOf,
    )
    expect(first.cohorts[0]!.persons).toBeLessThan(recurring.cohorts[0]!.persons)
  })

  it('keeps only a cohort given inline (persons who signed up in the range)', async () => {
    const cohort = { did: { event: 'signup' }, from: PRODUCT_FROM, to: PRODUCT_TO }
    const got = await query({
      from: PRODUCT_FROM,
      to: PRODUCT_TO,
      start: { event: 'pageview' },
      mode: 'recurring',
      period: 'day',
      tz: PRODUCT_TZ,
      cohort,
    })
    const want = retentionOf(
      rows,
      ref({
        from: new Date(PRODUCT_FROM),
        to: new Date(PRODUCT_TO),
        start: { event: '$pageview' },
        mode: 'recurring',
        period: 'day',
        cohort: { did: { event: 'signup' }, from: new Date(PRODUCT_FROM), to: new Date(PRODUCT_TO) },
      }),
      personOf,
    )
    expect(want.cohorts.reduce((n, c) => n + c.persons, 0)).toBeGreaterThan(10)
    expectTable(got, want)
  })

  it('answers the GET form', async () => {
    const q = new URLSearchParams({
      from: PRODUCT_FROM,
      to: PRODUCT_TO,
      start: JSON.stringify({ event: 'signup' }),
      period: 'day',
      tz: PRODUCT_TZ,
    })
    const res = await get(env.app, `/v1/sites/${PRODUCT_SITE}/retention?${q}`, KEY_A)
    expect(res.status).toBe(200)
    const want = retentionOf(
      rows,
      ref({
        from: new Date(PRODUCT_FROM),
        to: new Date(PRODUCT_TO),
        start: { event: 'signup' },
        mode: 'first_time',
        period: 'day',
      }),
      personOf,
    )
    expectTable((await res.json()) as RetentionResponse, want)
  })
})
