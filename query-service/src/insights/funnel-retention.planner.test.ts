import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Filter } from './dimensions.ts'
import { type FunnelInsightSpec, planFunnel } from './funnel.ts'
import { type FunnelPersonsSpec, planFunnelPersons } from './funnel-persons.ts'
import { planRetention, type RetentionSpec } from './retention.ts'

// Planning is pure and no user value reaches the SQL text: with the same shape (number of
// steps, filters, order, options), every event name, filter value, site, zone and range gives
// the same text, so the text can only come from the code.

const text = fc.string({ minLength: 1, maxLength: 40 })
const date = fc.date({
  min: new Date('1971-01-01T00:00:00Z'),
  max: new Date('2100-01-01T00:00:00Z'),
  noInvalidDate: true,
})
const filter = (value: string): Filter => ({ dimension: 'properties.plan', op: 'contains', value })

function funnelSpec(over: Partial<FunnelInsightSpec>): FunnelInsightSpec {
  return {
    site: 's',
    from: new Date(0),
    to: new Date(1),
    includeBots: false,
    steps: [
      { event: 'a', filters: [filter('x')] },
      { event: 'b', filters: [] },
      { event: 'c', filters: [] },
    ],
    exclusions: [{ event: 'x', filters: [] }],
    windowMs: 1000,
    order: 'ordered',
    breakdownLimit: 10,
    tz: 'UTC',
    ...over,
  }
}

describe('funnel planner', () => {
  for (const order of ['ordered', 'strict', 'any_order'] as const) {
    it(`${order}: the SQL text depends on the shape only`, () => {
      fc.assert(
        fc.property(text, text, text, text, text, date, date, (site, a, b, value, tz, from, to) => {
          const spec = funnelSpec({
            site,
            from,
            to,
            tz,
            order,
            steps: [
              { event: a, filters: [filter(value)] },
              { event: b, filters: [] },
              { event: a, filters: [] },
            ],
            exclusions: [{ event: b, filters: [] }],
            breakdown: 'properties.plan',
            interval: 'week',
          })
          const planned = planFunnel(spec)
          expect(planFunnel(spec)).toEqual(planned)
          expect(planned.sql).toBe(
            planFunnel(funnelSpec({ order, breakdown: 'properties.plan', interval: 'week' })).sql,
          )
          expect(Object.values(planned.params)).toEqual(expect.arrayContaining([site, a, b, value, tz]))
        }),
        { numRuns: 30 },
      )
    })
  }

  it('funnel persons: the same best attempts, paged', () => {
    const spec: FunnelPersonsSpec = { ...funnelSpec({}), step: 2, status: 'dropped', limit: 10, offset: 20 }
    const planned = planFunnelPersons(spec)
    expect(planned.sql).toMatchSnapshot()
    expect(planned.params).toMatchObject({ step: 2, limit: 10, offset: 20, window_ms: 1000 })
  })

  it('a 3-step ordered funnel with an exclusion, as planned', () => {
    expect(planFunnel(funnelSpec({}))).toMatchSnapshot()
  })
})

describe('retention planner', () => {
  const base: RetentionSpec = {
    site: 's',
    from: new Date(0),
    to: new Date(1),
    includeBots: false,
    start: { event: 'a', filters: [filter('x')] },
    returning: { event: 'b', filters: [] },
    mode: 'first_time',
    period: 'week',
    tz: 'UTC',
  }
  for (const mode of ['first_time', 'recurring'] as const) {
    it(`${mode}: the SQL text depends on the shape only`, () => {
      fc.assert(
        fc.property(text, text, text, text, date, date, (site, a, b, tz, from, to) => {
          const spec = { ...base, mode, site, tz, from, to, start: { event: a, filters: [filter(b)] } }
          const planned = planRetention(spec)
          expect(planned.sql).toBe(planRetention({ ...base, mode }).sql)
          expect(Object.values(planned.params)).toEqual(expect.arrayContaining([site, a, b, tz]))
        }),
        { numRuns: 30 },
      )
    })
  }

  it('weekly first-time retention, as planned', () => {
    expect(planRetention(base)).toMatchSnapshot()
  })
})
