import { compile, type Param, type Planned, param, sql } from '../sql/fragment.ts'

/**
 * The reads behind the person endpoint (docs/persons.md). A person is found by any of its
 * ids: the id's override names its person (or the id is a person of its own), the person's
 * ids are the overrides pointing at it, and its events are the rows whose stored
 * `person_id` is one of those ids — exactly the rows `personEvents` attributes to it.
 */

/** The person an id belongs to on a site: `person` is '' when the id was never merged. */
export function planPersonOf(site: string, id: string): Planned {
  return compile(sql`SELECT argMax(person, version) AS person
FROM person_overrides
WHERE site_id = ${param('site', 'String', site)} AND id = ${param('id', 'String', id)}`)
}

/** Every id whose newest override points at `person` (the person's own id included). */
export function planMembers(site: string, person: string, maxIds: number): Planned {
  const s = param('site', 'String', site)
  const p = param('person', 'String', person)
  // The inner IN narrows to ids that ever pointed at the person; argMax keeps those that still do.
  return compile(sql`SELECT id
FROM (
  SELECT id, argMax(person, version) AS current
  FROM person_overrides
  WHERE site_id = ${s}
    AND id IN (SELECT id FROM person_overrides WHERE site_id = ${s} AND person = ${p})
  GROUP BY id
)
WHERE current = ${p}
ORDER BY id
LIMIT ${param('max_ids', 'UInt32', maxIds)}`)
}

function ofPerson(site: Param, ids: Param) {
  return sql`site_id = ${site} AND person_id IN ${ids}`
}

/** Count and first/last event time of the person's rows (bots included: it is their record). */
export function planPersonSummary(site: string, ids: readonly string[]): Planned {
  const where = ofPerson(param('site', 'String', site), param('ids', 'Array(String)', ids))
  return compile(sql`SELECT
  count() AS events,
  toUnixTimestamp64Milli(min(ts)) AS first_ms,
  toUnixTimestamp64Milli(max(ts)) AS last_ms
FROM events
WHERE ${where}`)
}

/** Where a page of events continues: strictly older than this (time, message id). */
export interface EventCursor {
  tsMs: number
  messageId: string
}

/**
 * The person's events, newest first (time, then message id, so equal times page stably),
 * `limit + 1` rows so the caller knows whether another page follows.
 */
export function planPersonEvents(
  site: string,
  ids: readonly string[],
  limit: number,
  before?: EventCursor,
): Planned {
  const where = ofPerson(param('site', 'String', site), param('ids', 'Array(String)', ids))
  const after = before
    ? sql`
  AND (toUnixTimestamp64Milli(ts), message_id) < (${param('before_ms', 'Int64', before.tsMs)}, ${param('before_id', 'String', before.messageId)})`
    : sql``
  return compile(sql`SELECT
  toUnixTimestamp64Milli(ts) AS ts_ms,
  type,
  event,
  message_id,
  anonymous_id,
  user_id,
  page_path,
  toJSONString(properties) AS properties,
  is_bot
FROM events
WHERE ${where}${after}
ORDER BY ts DESC, message_id DESC
LIMIT ${param('limit', 'UInt32', limit + 1)}`)
}
