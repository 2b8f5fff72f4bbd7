import { type Fragment, join, type Param, type Planned, param, sql } from '../sql/fragment.ts'
import type { Filter } from './dimensions.ts'
import { filterTest } from './dimensions.ts'
import { DAY_MS } from './params.ts'
import type { Window } from './predicates.ts'

/**
 * The hourly rollup `events_hourly` (infra/clickhouse/0004_events_hourly.sql,
 * docs/adr/0025-rollups.md) and the rules for when it gives exactly the answer the events
 * table gives. Pure: a spec either fits the rollup (and gets its SQL pieces) or gets the
 * reason it does not, which tests and `explain` can read.
 */

/** Event dimensions the rollup keeps, by their name in a spec → the stored `dimension`. */
export const ROLLUP_DIMENSIONS: Readonly<Record<string, string>> = {
  page: 'page',
  country: 'country',
  region: 'region',
  city: 'city',
  browser: 'browser',
  os: 'os',
  device_type: 'device_type',
}

const HOUR_MS = 3_600_000

/** A plan over the rollup; `countsPersons` plans may run only for a site without merged ids. */
export interface RollupPlan {
  planned: Planned
  countsPersons: boolean
}

/** What a rollup read is narrowed to: at most one rolled-up dimension, or none (''). */
export interface RollupScope {
  dimension: string
}

/**
 * Whether the rollup can answer over [from, to) in `tz` with these dimensions in use, and
 * which stored dimension it reads; a string says why not. `dims` are the spec's filter and
 * breakdown dimensions; `event` needs no dimension (it is a column of every rollup row).
 */
export function rollupScope(
  range: { from: Date; to: Date },
  tz: string,
  dims: readonly string[],
): RollupScope | string {
  if (range.from.getTime() % HOUR_MS !== 0 || range.to.getTime() % HOUR_MS !== 0) {
    return 'the range does not start and end on whole UTC hours'
  }
  if (!wholeHourOffsets(tz, range.from, range.to)) {
    return `${tz} is not a whole number of hours from UTC throughout the range`
  }
  const stored = new Set<string>()
  for (const d of dims) {
    if (d === 'event') continue
    const s = ROLLUP_DIMENSIONS[d]
    if (s === undefined) return `${d} is not rolled up`
    stored.add(s)
  }
  if (stored.size > 1) return 'more than one rolled-up dimension in filters and breakdown'
  return { dimension: [...stored][0] ?? '' }
}

/**
 * True when the zone's offset from UTC is a whole number of hours at every instant of the
 * range, so every local bucket boundary (hour, day, week, month) falls on a UTC hour and an
 * hourly row lies wholly inside one bucket. Offsets change at most a few times a year and stay
 * for months, so sampling daily (and at both ends) finds any non-whole stretch.
 */
export function wholeHourOffsets(tz: string, from: Date, to: Date): boolean {
  let format: Intl.DateTimeFormat
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' })
  } catch {
    return false
  }
  const whole = (t: number) => {
    const name = format.formatToParts(t).find((p) => p.type === 'timeZoneName')?.value ?? ''
    // "GMT", "GMT+02:00", "GMT-09:30"
    const minutes = /^GMT(?:[+-]\d{1,2}(?::(\d{2}))?)?$/.exec(name)
    return minutes !== null && (minutes[1] === undefined || minutes[1] === '00')
  }
  for (let t = from.getTime(); t < to.getTime(); t += DAY_MS) if (!whole(t)) return false
  return whole(to.getTime() - 1)
}

/**
 * The rollup rows of the window and scope, as a FROM source with columns `hour`, `dim_value`,
 * `event`, `type`, `events` and `visitors`; `filters` and `event` (an event name) narrow it.
 */
export function rollupRows(input: {
  window: Window
  includeBots: boolean
  scope: RollupScope
  filters: readonly Filter[]
  event?: Param
}): Fragment {
  const where = [
    sql`site_id = ${input.window.site}`,
    sql`dimension = ${param('dimension', 'String', input.scope.dimension)}`,
    sql`hour >= ${input.window.from}`,
    sql`hour < ${input.window.to}`,
    ...(input.includeBots ? [] : [sql`NOT is_bot`]),
    ...(input.event === undefined ? [] : [sql`event = ${input.event}`]),
    ...input.filters.map((f) => filterTest(f.dimension === 'event' ? sql`event` : sql`value`, f)),
  ]
  return sql`(
  SELECT hour, value AS dim_value, event, type, events, visitors
  FROM events_hourly
  WHERE ${join(where, sql`\n    AND `)}
)`
}

/** Distinct stored person ids of the rollup rows grouped ('' is nobody; it is stored as NULL). */
export const ROLLUP_VISITORS = sql`uniqExactMerge(visitors)`
export const ROLLUP_EVENTS = sql`sum(events)`

/**
 * One row, `merged`: how many of the site's ids are merged into another person. The rollup
 * counts stored ids, so it answers visitors only when this is 0 (docs/adr/0025-rollups.md).
 */
export function mergedIdsQuery(site: string): Fragment {
  return sql`SELECT count() AS merged
FROM (
  SELECT id, argMax(person, version) AS merged_into
  FROM person_overrides
  WHERE site_id = ${param('site', 'String', site)}
  GROUP BY id
)
WHERE merged_into != id`
}
