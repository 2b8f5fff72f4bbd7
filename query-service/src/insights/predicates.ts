import { type Fragment, join, type Param, param, sql } from '../sql/fragment.ts'

/** Rows are stored as DateTime64(3, 'UTC'); binding with the same type avoids a cast per row. */
export const TS_TYPE = "DateTime64(3, 'UTC')"

/**
 * ClickHouse parses query parameters with the basic text parser, which rejects ISO 8601's
 * `T`/`Z`; the `YYYY-MM-DD hh:mm:ss.sss` form in UTC is what it accepts for DateTime64.
 */
export function chDateTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '')
}

/** An instant bound with the column type; `hint` names it in `explain` (`from`, `to`). */
export function instantParam(hint: string, date: Date): Param {
  return param(hint, TS_TYPE, chDateTime(date))
}

export interface Window {
  site: Param
  from: Param
  to: Param
}

/** The tenancy and range parameters, created once per query so every use shares one name. */
export function windowParams(spec: { site: string; from: Date; to: Date }): Window {
  return {
    site: param('site', 'String', spec.site),
    from: instantParam('from', spec.from),
    to: instantParam('to', spec.to),
  }
}

/** The tenancy and half-open time-range predicate on a timestamp column. */
export function inWindow(window: Window, column: Fragment): Fragment[] {
  return [sql`site_id = ${window.site}`, sql`${column} >= ${window.from}`, sql`${column} < ${window.to}`]
}

/** The predicate every events query starts from. */
export function eventsWhere(window: Window, includeBots: boolean, extra: Fragment[] = []): Fragment {
  const predicates = [
    ...inWindow(window, sql`ts`),
    // Bots are excluded by default: inflated numbers are the top complaint about other tools.
    ...(includeBots ? [] : [sql`NOT is_bot`]),
    ...extra,
  ]
  return join(predicates, sql`\n  AND `)
}
