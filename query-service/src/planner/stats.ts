import { baseWhere, chDateTime } from './fragments.ts'
import type { Planned, StatsSpec } from './types.ts'

export interface StatsRow {
  events: number | string
  pageviews: number | string
  visitors: number | string
}

/** Headline numbers for a site over [from, to): all events, pageviews, unique visitors. */
export function planStats(spec: StatsSpec): Planned {
  const sql = `SELECT
  count() AS events,
  countIf(type = 'page') AS pageviews,
  uniqExact(person_id) AS visitors
FROM events
WHERE ${baseWhere(spec.includeBots)}`
  return {
    sql,
    params: { site: spec.site, from: chDateTime(spec.from), to: chDateTime(spec.to) },
  }
}
