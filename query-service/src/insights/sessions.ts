import { type Fragment, type Param, param, type SqlValue, sql } from '../sql/fragment.ts'
import { channelExpression } from './channels/channels.ts'
import { personEvents } from './persons.ts'

/**
 * Visits computed at query time from the events table (docs/adr/0019-sessions-at-query-time.md,
 * definitions in docs/metrics.md). Per device (`anonymous_id`), ordered by time and then
 * message id (so equal timestamps order the same way every run), a visit starts at a device's
 * first event in the period, after a gap of MORE than the timeout (exactly 30:00 continues), or
 * when an event carries a UTM source/campaign that differs from the visit's current one. Dates
 * play no part, so a visit may run across midnight in any zone.
 */

export const SESSION_TIMEOUT_MS = 30 * 60 * 1000

export interface SessionSource {
  /** The events predicate (site, range, bots, event filters), a fragment over the events table. */
  where: Fragment
  /**
   * Splits the scanned rows into independent periods (e.g. `ts >= {from}` for current vs
   * previous); a visit never spans two periods. A constant when there is only one.
   */
  period: Fragment
  timeoutMs?: number
  /** Adds the `channel` column (a long multiIf); kinds that never read it leave it out. */
  channel?: boolean
  /**
   * Adds `persons`: the distinct non-empty persons of each visit (for visitors per group),
   * identity merges resolved for `site` (persons.ts). A visit is still one device's.
   */
  persons?: { site: Param }
  /**
   * An event-level dimension (page path, country, …) collected per visit: `event_values` (the
   * distinct non-NULL values among its events) and `page_values` (the value of each page view,
   * repeated), so a breakdown can count a visit once per value and page views per value.
   */
  eventValue?: Fragment
  /**
   * Follows people instead of devices: reads through `personEvents` (the bound site), splits
   * visits per (person, device), and adds the `person` column. Kinds that credit or follow a
   * person across devices (attribution) use it, so identity merges reach their visits too.
   */
  person?: Param
  /**
   * An ordered event-level value per visit: `steps` holds it for each event where it is not
   * NULL, in the visit's event order (time, then message id). Paths read page sequences so.
   */
  steps?: Fragment
  /** More columns of each event (`expr AS name, …`), for kinds that read the events of visits. */
  columns?: Fragment
}

// One frame for every running computation: a device's events in order, up to the current row.
const RUNNING = sql`ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`

/**
 * One row per event (of a device with an anonymous id) with its visit: `period`,
 * `anonymous_id`, `visit` (numbered from 1 per device and period), `t_ms`, `message_id`,
 * `type`, `page_path`, `person` (with `person` or `persons`) and the source's extra columns.
 * `sessionsQuery` folds these into visits.
 */
export function sessionEvents(source: SessionSource): Fragment {
  const timeout = param('session_timeout_ms', 'Int64', source.timeoutMs ?? SESSION_TIMEOUT_MS)
  const person = source.person
  const { key } = partition(source)
  // Either option reads through personEvents (identity merges resolved) for its site.
  const resolved = person ?? source.persons?.site
  const inner = sql`SELECT
  ${source.period} AS period,${
    resolved === undefined
      ? sql``
      : sql`
  person,`
  }
  anonymous_id,
  toUnixTimestamp64Milli(ts) AS t_ms,
  message_id,
  type,
  page_path,${
    source.eventValue
      ? sql`
  ${source.eventValue} AS event_value,`
      : sql``
  }${
    source.steps
      ? sql`
  ${source.steps} AS step_value,`
      : sql``
  }${
    source.columns
      ? sql`
  ${source.columns},`
      : sql``
  }
  -- A referrer on the site's own host is navigation, not a source.
  if(referrer_host = replaceRegexpOne(lower(domain(page_url)), '^www[.]', ''), '', referrer_host) AS ref_host,
  utm_source,
  utm_medium,
  utm_campaign,
  if(utm_source = '' AND utm_campaign = '', NULL, concat(utm_source, '\\0', utm_campaign)) AS utm_pair
FROM ${resolved === undefined ? sql`events` : personEvents(source.where, resolved)}
WHERE ${resolved === undefined ? source.where : sql`1`}
  AND anonymous_id != ''`
  const gaps = sql`SELECT
  *,
  row_number() OVER device = 1 OR t_ms - lagInFrame(t_ms) OVER device > ${timeout} AS after_gap
FROM (
  ${inner}
)
WINDOW device AS (PARTITION BY ${key} ORDER BY t_ms, message_id ${RUNNING})`
  const idle = sql`SELECT *, sum(toUInt32(after_gap)) OVER device AS idle_visit
FROM (
  ${gaps}
)
WINDOW device AS (PARTITION BY ${key} ORDER BY t_ms, message_id ${RUNNING})`
  // last_value skips NULLs, so this is the latest UTM pair seen earlier in the same idle-split visit.
  const campaigns = sql`SELECT
  *,
  after_gap OR (utm_pair IS NOT NULL AND utm_pair != ifNull(last_value(utm_pair) OVER earlier, '')) AS starts
FROM (
  ${idle}
)
WINDOW earlier AS (PARTITION BY ${key}, idle_visit ORDER BY t_ms, message_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)`
  return sql`SELECT *, sum(toUInt32(starts)) OVER device AS visit
FROM (
  ${campaigns}
)
WINDOW device AS (PARTITION BY ${key} ORDER BY t_ms, message_id ${RUNNING})`
}

/**
 * The partition of visits: per device, or with `person` per (person, device), so a device two
 * people used (before and after a merge they do not share) gives each their own visits.
 * `columns` are the key columns a visit row carries.
 */
function partition(source: SessionSource): { key: Fragment; columns: Fragment } {
  if (source.person === undefined) {
    return {
      key: sql`period, anonymous_id`,
      columns: sql`period,
anonymous_id`,
    }
  }
  return {
    key: sql`period, person, anonymous_id`,
    columns: sql`period,
person,
anonymous_id`,
  }
}

/**
 * One row per visit: period, anonymous_id, started/ended (ms since epoch), events, pageviews,
 * entry/exit page, landing referrer host, source/medium/campaign (of its first event), channel.
 * Events without an anonymous id (server-side group calls) belong to no visit.
 */
export function sessionsQuery(source: SessionSource): Fragment {
  const numbered = sessionEvents(source)
  const { key, columns } = partition(source)
  const order = sql`(t_ms, message_id)`
  const isPage = sql`type = 'page'`
  const visits = sql`SELECT
  ${columns},
  visit,
  min(t_ms) AS started,
  max(t_ms) AS ended,
  count() AS events,
  countIf(${isPage}) AS pageviews,
  argMinIf(page_path, ${order}, ${isPage}) AS entry_page,
  argMaxIf(page_path, ${order}, ${isPage}) AS exit_page,
  argMin(ref_host, ${order}) AS referrer_host,
  argMin(utm_source, ${order}) AS source,
  argMin(utm_medium, ${order}) AS medium,
  argMin(utm_campaign, ${order}) AS campaign${
    source.persons
      ? sql`,
  groupUniqArrayIf(person, person != '') AS persons`
      : sql``
  }${
    source.eventValue
      ? sql`,
  groupUniqArrayIf(assumeNotNull(event_value), event_value IS NOT NULL) AS event_values,
  groupArrayIf(assumeNotNull(event_value), event_value IS NOT NULL AND ${isPage}) AS page_values`
      : sql``
  }${
    source.steps
      ? sql`,
  arrayMap(x -> x.3, arraySort(groupArrayIf((t_ms, message_id, assumeNotNull(step_value)), step_value IS NOT NULL))) AS steps`
      : sql``
  }
FROM (
  ${numbered}
)
GROUP BY ${key}, visit`
  if (source.channel === false) return visits
  return sql`SELECT
  *,
  ${channelOf(sql`source`, sql`medium`, sql`referrer_host`)} AS channel
FROM (
  ${visits}
)`
}

function channelOf(source: SqlValue, medium: SqlValue, referrerHost: SqlValue): Fragment {
  return channelExpression({ source: sql`lower(${source})`, medium: sql`lower(${medium})`, referrerHost })
}
