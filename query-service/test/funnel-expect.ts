import { expect } from 'vitest'
import type { FunnelResponse } from '../src/insights/funnel.ts'
import type { RefStep } from './reference/funnels.ts'

/**
 * A funnel's steps equal the reference's: counts exactly, rates to 9 digits and times to 6
 * (the engine's float quantiles and divisions against the reference's), labels left out.
 */
export function expectSteps(got: FunnelResponse['steps'], want: readonly RefStep[]): void {
  expect(got.map(({ step, event, label, ...rest }) => rest)).toEqual(want.map(closeStep))
}

function closeStep(s: RefStep) {
  return {
    ...s,
    conversion_from_previous: expect.closeTo(s.conversion_from_previous, 9),
    conversion_from_first: expect.closeTo(s.conversion_from_first, 9),
    median_time_s: s.median_time_s === null ? null : expect.closeTo(s.median_time_s, 6),
    p90_time_s: s.p90_time_s === null ? null : expect.closeTo(s.p90_time_s, 6),
  }
}
