import { code, type Fragment, join, type Param, param, type SqlValue, sql } from '../sql/fragment.ts'
import { channelExpression } from './channels/channels.ts'
import { VISIT_DIMENSIONS, type VisitDimension } from './dimensions.ts'
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

/**
 * The columns of a visit beyond its counts and times: the visit dimensions (`referrer` is
 * the `referrer_host` column). A kind asks for the ones it reads: each one carried through
 * the per-device arrays costs (strings above all), and a stats query that asks for none runs
 * in about half the time of one that carried them all.
 */
export type VisitDetail = VisitDimension
export const VISIT_DETAILS = Object.keys(VISIT_DIMENSIONS) as readonly VisitDetail[]

export interface SessionSource {
  /** The events predicate (site, range, bots, event filters), a fragment over the events table. */
  where: Fragment
  /**
   * Splits the scanned rows into independent periods (e.g. `ts >= {from}` for current vs
   * previous); a visit never spans two periods. A constant when there is only one.
   */
  period: Fragment
  timeoutMs?: number
  /**
   * The visit columns the kind reads (VISIT_DETAILS); the rest are left out. Every visit has
   * period, its key, visit, started, ended, events and pageviews whatever is asked.
   */
  details: readonly VisitDetail[]
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
   * Only the events of persons that pass `test` (a predicate on the resolved `person` column,
   * a cohort's), dropped before visits are formed; reads through `personEvents` for `site`.
   */
  personFilter?: { site: Param; test: Fragment }
  /**
   * An ordered event-level value per visit: `steps` holds it for each event where it is not
   * NULL, in the visit's event order (time, then message id). Paths read page sequences so.
   */
  steps?: Fragment
  /** More columns of each event (name → expression), for kinds that read the events of visits. */
  columns?: Readonly<Record<string, Fragment>>
}

const ORDER = sql`(t_ms, message_id)`
const IS_PAGE = sql`is_page = 1`

/** The event columns visit details are folded from, in the order they ride in the arrays. */
const EVENT_COLUMNS = {
  page_path: sql`page_path`,
  // A referrer on the site's own host is navigation, not a source.
  ref_host: sql`if(referrer_host = replaceRegexpOne(lower(domain(page_url)), '^www[.]', ''), '', referrer_host)`,
  utm_source: sql`utm_source`,
  utm_medium: sql`utm_medium`,
  utm_campaign: sql`utm_campaign`,
} as const

/** The optional columns of a visit: the event column each is folded from, and how. */
const VISIT_COLUMNS = {
  entry_page: { from: 'page_path', fold: sql`argMinIf(page_path, ${ORDER}, ${IS_PAGE})` },
  exit_page: { from: 'page_path', fold: sql`argMaxIf(page_path, ${ORDER}, ${IS_PAGE})` },
  referrer_host: { from: 'ref_host', fold: sql`argMin(ref_host, ${ORDER})` },
  source: { from: 'utm_source', fold: sql`argMin(utm_source, ${ORDER})` },
  medium: { from: 'utm_medium', fold: sql`argMin(utm_medium, ${ORDER})` },
  campaign: { from: 'utm_campaign', fold: sql`argMin(utm_campaign, ${ORDER})` },
} as const satisfies Record<string, { from: keyof typeof EVENT_COLUMNS; fold: Fragment }>
type VisitColumn = keyof typeof VISIT_COLUMNS

/** The visit columns behind each detail: channel is computed from three of them. */
const DETAIL_COLUMNS: Record<VisitDetail, readonly VisitColumn[]> = {
  entry_page: ['entry_page'],
  exit_page: ['exit_page'],
  referrer: ['referrer_host'],
  source: ['source'],
  medium: ['medium'],
  campaign: ['campaign'],
  channel: ['source', 'medium', 'referrer_host'],
}

/** The visit columns the source's details need, in VISIT_COLUMNS order. */
function visitColumnsOf(source: SessionSource): VisitColumn[] {
  const needed = new Set(source.details.flatMap((d) => DETAIL_COLUMNS[d]))
  return (Object.keys(VISIT_COLUMNS) as VisitColumn[]).filter((c) => needed.has(c))
}

/** The event columns those visit columns are folded from, in EVENT_COLUMNS order. */
function eventColumnsOf(source: SessionSource): Array<[name: string, expr: Fragment]> {
  const needed = new Set(visitColumnsOf(source).map((c) => VISIT_COLUMNS[c].from))
  return Object.entries(EVENT_COLUMNS).filter(([name]) => needed.has(name as keyof typeof EVENT_COLUMNS))
}

/** A column name chosen by the code (never by input), checked so it can be spliced. */
function identifier(name: string): Fragment {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid column name ${JSON.stringify(name)}`)
  return code(name)
}

/**
 * One row per event (of a device with an anonymous id) with its visit: `period`,
 * `anonymous_id`, `visit` (numbered from 1 per device and period), `t_ms`, `message_id`,
 * `is_page` (1 for a page view), `person` (with `person` or `persons`), the columns the
 * asked-for details are made of (`page_path`, `ref_host`, `utm_source`, `utm_medium`,
 * `utm_campaign`) and the source's extra columns. `sessionsQuery` folds these into visits.
 *
 * Visits are numbered in one pass per device over an array of its events, sorted by (time,
 * message id) and turned back into rows with ARRAY JOIN. Nested window functions gave the
 * same numbers but sorted the whole range once per pass (three or four full sorts); a hash
 * GROUP BY per device and small in-memory sorts cost less (docs/adr/0019-sessions-at-query-time.md).
 */
export function sessionEvents(source: SessionSource): Fragment {
  const timeout = param('session_timeout_ms', 'Int64', source.timeoutMs ?? SESSION_TIMEOUT_MS)
  const person = source.person
  const { key } = partition(source)
  // Any of these options reads through personEvents (identity merges resolved) for its site.
  const resolved = person ?? source.persons?.site ?? source.personFilter?.site
  // What each event carries through the per-device array, in tuple order: time and message
  // id first, so sorting the tuples orders a device's events by (time, message id). Only what
  // the asked-for details read rides along: the arrays are most of a visit query's cost.
  const carried: Array<[name: string, expr: Fragment]> = [
    ['t_ms', sql`toUnixTimestamp64Milli(ts)`],
    ['message_id', sql`message_id`],
    [
      'utm_pair',
      sql`if(utm_source = '' AND utm_campaign = '', NULL, concat(utm_source, '\\0', utm_campaign))`,
    ],
    ['is_page', sql`toUInt8(type = 'page')`],
    ...eventColumnsOf(source),
    ...(source.persons !== undefined && person === undefined
      ? [['person', sql`person`] as [string, Fragment]]
      : []),
    ...(source.eventValue ? [['event_value', source.eventValue] as [string, Fragment]] : []),
    ...(source.steps ? [['step_value', source.steps] as [string, Fragment]] : []),
    ...Object.entries(source.columns ?? {}),
  ]
  const names = carried.map(([name]) => identifier(name))
  const inner = sql`SELECT
  ${source.period} AS period,${
    person === undefined
      ? sql``
      : sql`
  person,`
  }
  anonymous_id,
  ${join(
    carried.map(([name, expr]) => sql`${expr} AS ${identifier(name)}`),
    sql`,\n  `,
  )}
FROM ${resolved === undefined ? sql`events` : personEvents(source.where, resolved)}
WHERE ${resolved === undefined ? source.where : (source.personFilter?.test ?? sql`1`)}
  AND anonymous_id != ''`
  // Per device: a visit starts at its first event, after a gap of more than the timeout, or at
  // a UTM pair that differs from the latest one earlier in the same idle-split visit. `marks`
  // holds each event's UTM pair and '' at every idle start (which has none), so filling NULLs
  // forward gives, at each event, the latest pair since the idle visit began ('' for none).
  const numbered = sql`SELECT
  ${key},
  evs,
  arrayMap(e -> e.1, evs) AS t,
  arrayMap(e -> e.3, evs) AS utm,
  arrayMap((d, i) -> i = 1 OR d > ${timeout}, arrayDifference(t), arrayEnumerate(t)) AS after_gap,
  arrayFill(x -> x IS NOT NULL, arrayMap((g, u) -> if(g, ifNull(u, ''), u), after_gap, utm)) AS marks,
  arrayCumSum(arrayMap(
    (g, u, before) -> toUInt32(g OR (u IS NOT NULL AND assumeNotNull(u) != ifNull(before, ''))),
    after_gap, utm, arrayPushFront(arrayPopBack(marks), NULL)
  )) AS visits
FROM (
  SELECT ${key}, arraySort(groupArray((${join(names, sql`, `)}))) AS evs
  FROM (
    ${inner}
  )
  GROUP BY ${key}
)`
  return sql`SELECT
  ${key},
  ${join(
    names.map((name, i) => sql`ev.${code(i + 1)} AS ${name}`),
    sql`,\n  `,
  )},
  visit
FROM (
  ${numbered}
)
ARRAY JOIN evs AS ev, visits AS visit`
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
 * One row per visit: period, its key (anonymous_id, and person when following people),
 * visit, started/ended (ms since epoch), events, pageviews, and the asked-for details:
 * entry/exit page, landing referrer host (`referrer_host`), source/medium/campaign (of its
 * first event), channel (which brings source, medium and referrer_host along).
 * Events without an anonymous id (server-side group calls) belong to no visit.
 */
export function sessionsQuery(source: SessionSource): Fragment {
  const numbered = sessionEvents(source)
  const { key, columns } = partition(source)
  const optional = (wanted: boolean, column: Fragment) => (wanted ? [column] : [])
  const visitColumns: Fragment[] = [
    sql`min(t_ms) AS started`,
    sql`max(t_ms) AS ended`,
    sql`count() AS events`,
    sql`countIf(${IS_PAGE}) AS pageviews`,
    ...visitColumnsOf(source).map((c) => sql`${VISIT_COLUMNS[c].fold} AS ${identifier(c)}`),
    ...optional(source.persons !== undefined, sql`groupUniqArrayIf(person, person != '') AS persons`),
    ...optional(
      source.eventValue !== undefined,
      sql`groupUniqArrayIf(assumeNotNull(event_value), event_value IS NOT NULL) AS event_values,
  groupArrayIf(assumeNotNull(event_value), event_value IS NOT NULL AND ${IS_PAGE}) AS page_values`,
    ),
    ...optional(
      source.steps !== undefined,
      sql`arrayMap(x -> x.3, arraySort(groupArrayIf((t_ms, message_id, assumeNotNull(step_value)), step_value IS NOT NULL))) AS steps`,
    ),
  ]
  const visits = sql`SELECT
  ${columns},
  visit,
  ${join(visitColumns, sql`,\n  `)}
FROM (
  ${numbered}
)
GROUP BY ${key}, visit`
  if (!source.details.includes('channel')) return visits
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
