/**
 * Shared SQL pieces. Each is a constant or is selected from a closed set, never built from a
 * user value, which is what lets the planner promise "no interpolation".
 */

/** Rows are stored as DateTime64(3, 'UTC'); binding with the same type avoids a cast per row. */
export const TS_TYPE = "DateTime64(3, 'UTC')"

/**
 * ClickHouse parses query parameters with the basic text parser, which rejects ISO 8601's
 * `T`/`Z`; the `YYYY-MM-DD hh:mm:ss.sss` form in UTC is what it accepts for DateTime64.
 */
export function chDateTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '')
}

/** The time-range and tenancy predicate every planned query starts from. */
export function baseWhere(includeBots: boolean): string {
  const predicates = [
    'site_id = {site:String}',
    `ts >= {from:${TS_TYPE}}`,
    `ts < {to:${TS_TYPE}}`,
    // Bots are excluded by default: inflated numbers are the top complaint about other tools.
    ...(includeBots ? [] : ['NOT is_bot']),
  ]
  return predicates.join('\n  AND ')
}
