/**
 * A planned query: SQL text with `{name:Type}` placeholders and the values that fill them.
 * User-supplied values only ever travel in `params`; the SQL text is built solely from
 * fixed fragments chosen by enum-like spec fields, so it is safe to show (`?explain=1`).
 */
export interface Planned {
  sql: string
  params: Record<string, string | number | boolean>
}

export const INTERVALS = ['hour', 'day', 'week', 'month'] as const
export type Interval = (typeof INTERVALS)[number]

export interface StatsSpec {
  site: string
  /** Inclusive. */
  from: Date
  /** Exclusive. */
  to: Date
  includeBots: boolean
}

export interface TrendsSpec extends StatsSpec {
  /** Only rows whose `event` equals this name; all events when absent. */
  event?: string
  interval: Interval
  /** IANA time zone the buckets are aligned to (day starts at local midnight). */
  tz: string
}
