import type { EventRow } from '@sightline/warehouse'
import { cohortFilter, matches, type RefCohortFilter, type RefGoal } from './funnels.ts'
import { periodIndex, periodStart } from './local-time.ts'
import { msOf } from './web-metrics.ts'

/**
 * Retention by the definitions of docs/funnels-retention.md, in plain TypeScript: periods on
 * the site's local calendar (local-time.ts, Intl only), the range widened to whole periods,
 * cohort = first-ever start event (over all rows) or every period with one, period 0 = the
 * cohort, period k = cohort members who did the return event k periods later.
 */

export interface RefRetentionSpec {
  site: string
  from: Date
  to: Date
  includeBots?: boolean
  start: RefGoal
  returning?: RefGoal
  mode: 'first_time' | 'recurring'
  period: 'day' | 'week' | 'month'
  tz: string
  cohort?: RefCohortFilter
}

export interface RefCohort {
  period_start: string
  persons: number
  retained: { period: number; persons: number; rate: number }[]
}

export function retentionOf(
  rows: EventRow[],
  spec: RefRetentionSpec,
  personOf: (r: EventRow) => string,
): { from: string; to: string; cohorts: RefCohort[] } {
  const first = periodIndex(spec.from.getTime(), spec.tz, spec.period)
  const last = periodIndex(spec.to.getTime() - 1, spec.tz, spec.period)
  const member = cohortFilter(rows, spec.site, spec.includeBots ?? false, spec.cohort, personOf)
  const eligible = rows.filter(
    (r) =>
      r.site_id === spec.site && (spec.includeBots || !r.is_bot) && personOf(r) !== '' && member(personOf(r)),
  )
  const indexOf = (r: EventRow) => periodIndex(msOf(r), spec.tz, spec.period)

  // person → cohort periods
  const cohortsOf = new Map<string, Set<number>>()
  if (spec.mode === 'first_time') {
    const firstEver = new Map<string, number>()
    for (const r of eligible) {
      if (!matches(r, spec.start)) continue
      const p = personOf(r)
      const ms = msOf(r)
      if (!firstEver.has(p) || ms < firstEver.get(p)!) firstEver.set(p, ms)
    }
    for (const [p, ms] of firstEver) {
      const c = periodIndex(ms, spec.tz, spec.period)
      if (c >= first && c <= last) cohortsOf.set(p, new Set([c]))
    }
  } else {
    for (const r of eligible) {
      if (!matches(r, spec.start)) continue
      const c = indexOf(r)
      if (c < first || c > last) continue
      const p = personOf(r)
      cohortsOf.set(p, (cohortsOf.get(p) ?? new Set()).add(c))
    }
  }
  // person → periods with a return event
  const returnsOf = new Map<string, Set<number>>()
  for (const r of eligible) {
    if (spec.returning !== undefined && !matches(r, spec.returning)) continue
    const c = indexOf(r)
    if (c < first || c > last) continue
    const p = personOf(r)
    returnsOf.set(p, (returnsOf.get(p) ?? new Set()).add(c))
  }
  const cohorts: RefCohort[] = []
  for (let c = first; c <= last; c++) {
    const members = [...cohortsOf.entries()].filter(([, cs]) => cs.has(c)).map(([p]) => p)
    const retained = []
    for (let k = 0; c + k <= last; k++) {
      const persons = k === 0 ? members.length : members.filter((p) => returnsOf.get(p)?.has(c + k)).length
      retained.push({ period: k, persons, rate: members.length === 0 ? 0 : persons / members.length })
    }
    cohorts.push({
      period_start: new Date(periodStart(c, spec.tz, spec.period)).toISOString(),
      persons: members.length,
      retained,
    })
  }
  return {
    from: new Date(periodStart(first, spec.tz, spec.period)).toISOString(),
    to: new Date(periodStart(last + 1, spec.tz, spec.period)).toISOString(),
    cohorts,
  }
}
