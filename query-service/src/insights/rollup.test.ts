import { describe, expect, it } from 'vitest'
import { rollupScope, wholeHourOffsets } from './rollup.ts'
import { planTrendsRollup, type TrendsSpec } from './trends.ts'

const from = new Date('2024-03-01T00:00:00Z')
const to = new Date('2024-04-30T00:00:00Z')
const base: TrendsSpec = { site: 's', from, to, includeBots: false, interval: 'day', tz: 'Europe/Berlin' }
const refused = (spec: TrendsSpec) => {
  const r = planTrendsRollup(spec)
  return 'refused' in r ? r.refused : undefined
}

describe('when the hourly rollup may answer trends', () => {
  it('knows which zones keep local buckets on UTC hours, DST changes included', () => {
    for (const tz of ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Pacific/Kiritimati'])
      expect(wholeHourOffsets(tz, from, to), tz).toBe(true)
    // +05:30, +05:45, −03:30 (−02:30 in summer), and +10:30 → +11 twice a year.
    for (const tz of ['Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns', 'Australia/Lord_Howe'])
      expect(
        wholeHourOffsets(tz, new Date('2024-01-01T00:00:00Z'), new Date('2024-12-31T00:00:00Z')),
        tz,
      ).toBe(false)
    expect(wholeHourOffsets('Not/A_Zone', from, to)).toBe(false)
  })

  it('serves event counts and stored-id counts over at most one rolled-up dimension', () => {
    expect(planTrendsRollup(base)).toMatchObject({ countsPersons: true })
    expect(
      planTrendsRollup({
        ...base,
        series: [{ math: 'events', event: 'signup' }],
        breakdown: { by: 'event', limit: 3 },
      }),
    ).toMatchObject({ countsPersons: false })
    expect(rollupScope(base, 'UTC', ['country', 'country', 'event'])).toEqual({ dimension: 'country' })
    expect(rollupScope(base, 'UTC', [])).toEqual({ dimension: '' })
  })

  it('refuses everything it cannot answer exactly', () => {
    expect(refused({ ...base, from: new Date('2024-03-01T00:30:00Z') })).toMatch(/whole UTC hours/)
    expect(refused({ ...base, to: new Date('2024-04-30T00:00:00.001Z') })).toMatch(/whole UTC hours/)
    expect(refused({ ...base, tz: 'Asia/Kolkata' })).toMatch(/whole number of hours/)
    for (const math of ['sessions', 'sum', 'avg', 'min', 'max', 'median', 'p90'] as const)
      expect(refused({ ...base, series: [{ math: 'events' }, { math, property: 'amount' }] })).toMatch(/no /)
    expect(refused({ ...base, filters: [{ dimension: 'properties.plan', op: 'is', value: 'pro' }] })).toMatch(
      /not rolled up/,
    )
    expect(
      refused({
        ...base,
        series: [{ math: 'events' }],
        filters: [{ dimension: 'country', op: 'is', value: 'DE' }],
        breakdown: { by: 'browser', limit: 3 },
      }),
    ).toMatch(/more than one/)
    // The rollup has no persons, so it cannot keep only a cohort's events.
    const cohort = { did: { event: 'signup', filters: [] }, from, to }
    expect(refused({ ...base, series: [{ math: 'events' }], cohort })).toMatch(/cohort/)
  })
})
