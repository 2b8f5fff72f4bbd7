import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { planRejected } from './rejected.ts'
import { planStats } from './stats.ts'
import { INTERVALS, planTrends } from './trends.ts'

// Whatever the values, planning is pure (same spec, same output) and no value reaches the
// SQL text: the text is the same for every value, so it can only come from the code.
const text = fc.string({ minLength: 1, maxLength: 60 })
const date = fc.date({
  min: new Date('1970-03-01T00:00:00Z'),
  max: new Date('2105-01-01T00:00:00Z'),
  noInvalidDate: true,
})

describe('planners', () => {
  it('trends: SQL text depends only on interval, bots and whether an event is given', () => {
    fc.assert(
      fc.property(
        text,
        text,
        text,
        date,
        date,
        fc.constantFrom(...INTERVALS),
        fc.boolean(),
        fc.boolean(),
        (site, tz, event, from, to, interval, includeBots, byEvent) => {
          const spec = { site, from, to, interval, includeBots, tz, ...(byEvent ? { event } : {}) }
          const planned = planTrends(spec)
          expect(planTrends(spec)).toEqual(planned)
          const reference = planTrends({
            ...spec,
            site: 's',
            tz: 'UTC',
            from: new Date(0),
            to: new Date(1),
            ...(byEvent ? { event: 'e' } : {}),
          })
          expect(planned.sql).toBe(reference.sql)
          expect(planned.params).toMatchObject({ site, tz, ...(byEvent ? { event } : {}) })
        },
      ),
    )
  })

  it('stats and rejected: SQL text is the same for every site and range', () => {
    fc.assert(
      fc.property(text, date, date, fc.boolean(), (site, from, to, includeBots) => {
        const reference = { site: 's', from: new Date(0), to: new Date(1) }
        expect(planStats({ site, from, to, includeBots }).sql).toBe(
          planStats({ ...reference, includeBots }).sql,
        )
        expect(planRejected({ site, from, to }).sql).toBe(planRejected(reference).sql)
        expect(planRejected({ site, from, to }).params.site).toBe(site)
      }),
    )
  })
})
