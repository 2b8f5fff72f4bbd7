import type { EventRow } from '@sightline/warehouse'
import { eventValueOf, holds, type RefFilter } from './breakdown.ts'
import { type Period, startOf } from './local-time.ts'
import { propertyFilter, type RefPersonProperty } from './person-properties.ts'
import { msOf } from './web-metrics.ts'

/**
 * Funnels by the definitions of docs/funnels-retention.md, in plain TypeScript: one loop per
 * rule, no SQL. `personOf` says who a row's person is (the persons reference once identity
 * merges resolve, the stored person id before).
 */

export interface RefGoal {
  event: string
  filters?: RefFilter[]
}

export interface RefFunnelSpec {
  site: string
  from: Date
  to: Date
  includeBots?: boolean
  steps: RefGoal[]
  exclusions?: RefGoal[]
  windowMs: number
  order: 'ordered' | 'strict' | 'any_order'
  breakdown?: string
  breakdownLimit?: number
  interval?: Period
  tz?: string
  cohort?: RefCohortFilter
}

/** Persons who did `did` in [from, to), persons with a property (`has`), or both. */
export type RefCohortFilter =
  | { did: RefGoal; from: Date; to: Date; has?: RefPersonProperty }
  | { has: RefPersonProperty }

/** The persons of a cohort, by the same person function; every person when there is none. */
export function cohortFilter(
  rows: EventRow[],
  site: string,
  includeBots: boolean,
  cohort: RefCohortFilter | undefined,
  personOf: (r: EventRow) => string,
): (person: string) => boolean {
  if (cohort === undefined) return () => true
  const has =
    cohort.has === undefined ? () => true : propertyFilter(rows, site, includeBots, cohort.has, personOf)
  if (!('did' in cohort)) return has
  const members = new Set<string>()
  for (const r of rows) {
    const ms = msOf(r)
    if (r.site_id !== site || (r.is_bot && !includeBots)) continue
    if (ms < cohort.from.getTime() || ms >= cohort.to.getTime() || !matches(r, cohort.did)) continue
    members.add(personOf(r))
  }
  return (person) => members.has(person) && has(person)
}

export interface RefStep {
  persons: number
  dropped: number
  conversion_from_previous: number
  conversion_from_first: number
  median_time_s: number | null
  p90_time_s: number | null
}

export interface RefAttempt {
  person: string
  start: number
  /** Step times, one per step reached. */
  times: number[]
  value: string
}

interface Ev {
  ms: number
  id: string
  steps: boolean[]
  excluded: boolean
  value: string
}

export function matches(row: EventRow, goal: RefGoal): boolean {
  if (row.event !== goal.event) return false
  return (goal.filters ?? []).every((f) => holds(eventValueOf(row, f.dimension) ?? '', f))
}

/** Each person's events that meet a step or an exclusion, in time then message-id order. */
function eventsByPerson(rows: EventRow[], spec: RefFunnelSpec, personOf: (r: EventRow) => string) {
  const through = spec.to.getTime() + spec.windowMs
  const member = cohortFilter(rows, spec.site, spec.includeBots ?? false, spec.cohort, personOf)
  const byPerson = new Map<string, Ev[]>()
  for (const row of rows) {
    const ms = msOf(row)
    if (row.site_id !== spec.site || ms < spec.from.getTime() || ms >= through) continue
    if (row.is_bot && !spec.includeBots) continue
    const person = personOf(row)
    if (person === '' || !member(person)) continue
    const steps = spec.steps.map((g) => matches(row, g))
    const excluded = (spec.exclusions ?? []).some((g) => matches(row, g))
    if (!steps.some(Boolean) && !excluded) continue
    const value = spec.breakdown === undefined ? '' : (eventValueOf(row, spec.breakdown) ?? '')
    const list = byPerson.get(person) ?? []
    list.push({ ms, id: row.message_id, steps, excluded, value })
    byPerson.set(person, list)
  }
  for (const list of byPerson.values()) {
    list.sort((a, b) => a.ms - b.ms || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }
  return byPerson
}

/** The attempt starting at events[j]: the times of the steps it reached. */
function attempt(events: Ev[], j: number, spec: RefFunnelSpec): number[] {
  const t0 = events[j]!.ms
  // An exclusion event strictly after the start ends the attempt: later steps must not follow it.
  let deadline = t0 + spec.windowMs
  for (const e of events) {
    if (e.excluded && e.ms > t0) {
      deadline = Math.min(deadline, e.ms)
      break
    }
  }
  const n = spec.steps.length
  if (spec.order === 'any_order') {
    const firsts: number[] = []
    for (let i = 0; i < n; i++) {
      const hit = events.find((e) => e.steps[i] && e.ms >= t0 && e.ms <= deadline)
      if (hit !== undefined) firsts.push(hit.ms)
    }
    return firsts.sort((a, b) => a - b)
  }
  const times = [t0]
  if (spec.order === 'ordered') {
    for (let i = 1; i < n; i++) {
      const last = times[times.length - 1]!
      const hit = events.find((e) => e.steps[i] && e.ms > last && e.ms <= deadline)
      if (hit === undefined) break
      times.push(hit.ms)
    }
    return times
  }
  // strict: the chain walks the funnel events (those meeting some step) one by one.
  const funnelEvents = events.filter((e) => e.steps.some(Boolean))
  let k = funnelEvents.indexOf(events[j]!)
  for (let i = 1; i < n; i++) {
    const next = funnelEvents[k + 1]
    const last = times[times.length - 1]!
    if (next === undefined || !next.steps[i] || next.ms <= last || next.ms > deadline) break
    times.push(next.ms)
    k++
  }
  return times
}

/** Every attempt of every person that starts in [from, to). */
export function attemptsOf(rows: EventRow[], spec: RefFunnelSpec, personOf: (r: EventRow) => string) {
  const attempts: RefAttempt[] = []
  for (const [person, events] of eventsByPerson(rows, spec, personOf)) {
    events.forEach((e, j) => {
      const starts = spec.order === 'any_order' ? e.steps.some(Boolean) : e.steps[0]
      if (!starts || e.ms < spec.from.getTime() || e.ms >= spec.to.getTime()) return
      attempts.push({ person, start: e.ms, times: attempt(events, j, spec), value: e.value })
    })
  }
  return attempts
}

/** The best attempt per person and key: most steps, then earliest start, then first in order. */
export function bestOf(attempts: RefAttempt[], key: (a: RefAttempt) => string): Map<string, RefAttempt> {
  const best = new Map<string, RefAttempt>()
  for (const a of attempts) {
    const k = `${key(a)}\u0000${a.person}`
    const known = best.get(k)
    if (known === undefined || a.times.length > known.times.length) best.set(k, a)
  }
  return best
}

/** R-7 (linear interpolation between closest ranks), the definition docs/funnels-retention.md gives. */
export function quantile(values: number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const h = (sorted.length - 1) * p
  const lo = Math.floor(h)
  const hi = Math.min(lo + 1, sorted.length - 1)
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!)
}

export function stepsOf(best: RefAttempt[], n: number): RefStep[] {
  const reached = (k: number) => best.filter((a) => a.times.length >= k)
  const first = reached(1).length
  return Array.from({ length: n }, (_, i) => {
    const here = reached(i + 1)
    const previous = i === 0 ? here.length : reached(i).length
    const next = i + 1 < n ? reached(i + 2).length : here.length
    const gaps = i === 0 ? [] : here.map((a) => a.times[i]! - a.times[i - 1]!)
    const q = (p: number) => {
      const v = quantile(gaps, p)
      return v === null ? null : v / 1000
    }
    return {
      persons: here.length,
      dropped: here.length - next,
      conversion_from_previous: previous === 0 ? 0 : here.length / previous,
      conversion_from_first: first === 0 ? 0 : here.length / first,
      median_time_s: q(0.5),
      p90_time_s: q(0.9),
    }
  })
}

export interface RefFunnel {
  steps: RefStep[]
  breakdown: { total: number; groups: { value: string; steps: RefStep[] }[]; other: RefStep[] | null } | null
  trend: { bucket: string; entered: number; converted: number }[] | null
}

export function funnelOf(
  rows: EventRow[],
  spec: RefFunnelSpec,
  personOf: (r: EventRow) => string,
): RefFunnel {
  const n = spec.steps.length
  const attempts = attemptsOf(rows, spec, personOf)
  const best = [...bestOf(attempts, () => '').values()]
  let breakdown: RefFunnel['breakdown'] = null
  if (spec.breakdown !== undefined) {
    const byValue = new Map<string, RefAttempt[]>()
    for (const a of best) byValue.set(a.value, [...(byValue.get(a.value) ?? []), a])
    const ranked = [...byValue.entries()].sort(
      ([va, a], [vb, b]) => b.length - a.length || (va < vb ? -1 : va > vb ? 1 : 0),
    )
    const limit = spec.breakdownLimit ?? 10
    const rest = ranked.slice(limit).flatMap(([, as]) => as)
    breakdown = {
      total: ranked.length,
      groups: ranked.slice(0, limit).map(([value, as]) => ({ value, steps: stepsOf(as, n) })),
      other: rest.length === 0 ? null : stepsOf(rest, n),
    }
  }
  let trend: RefFunnel['trend'] = null
  if (spec.interval !== undefined) {
    const interval = spec.interval
    const bucketOf = (a: RefAttempt) => new Date(startOf(a.start, spec.tz ?? 'UTC', interval)).toISOString()
    const byBucket = new Map<string, RefAttempt[]>()
    for (const a of bestOf(attempts, bucketOf).values()) {
      byBucket.set(bucketOf(a), [...(byBucket.get(bucketOf(a)) ?? []), a])
    }
    trend = [...byBucket.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([bucket, as]) => ({
        bucket,
        entered: as.length,
        converted: as.filter((a) => a.times.length === n).length,
      }))
  }
  return { steps: stepsOf(best, n), breakdown, trend }
}
