import type { EventType } from '@sightline/contracts'
import type { EventReader, Surface } from '../pipeline/surface.ts'
import { compact, type EventMapper, idOf, isoTime, isPlainObject, type Json, readMapped } from './mapped.ts'
import { decodePostHog } from './posthog-decode.ts'

/**
 * PostHog's capture API (`/e`, `/capture`, `/batch`, `/i/v0/e`): one event, an array, or
 * `{batch:[...], sent_at}`; the project token as `api_key`/`token` (see posthog-decode.ts).
 * Mapping rules, documented in docs/edge.md:
 *   - `$pageview` → page, `$screen` → screen, `$identify` → identify, `$create_alias` →
 *     alias, `$groupidentify` → group; every other event name → track;
 *   - `uuid` → message_id (absent: a fresh id, so such events are not deduplicated);
 *   - ids: on `$identify`, distinct_id is the user and `$anon_distinct_id` (or `$device_id`)
 *     the anonymous id; elsewhere distinct_id is anonymous when posthog-js says so
 *     (`$user_state: "anonymous"`, `$process_person_profile: false`, or it equals
 *     `$device_id`), and otherwise the user id — server SDKs send the user's own id;
 *   - the `$` properties that map to our context (URL, referrer, library, screen, locale,
 *     timezone, user agent, IP) move there and are removed; all others are kept as sent.
 */

const EVENT_TYPES_BY_NAME: Record<string, EventType> = {
  $pageview: 'page',
  $screen: 'screen',
  $identify: 'identify',
  $create_alias: 'alias',
  $groupidentify: 'group',
  // posthog-js's `$set` event (sent by setPersonProperties and its `defaults` option) only
  // updates the person: an identify with traits, not a custom event.
  $set: 'identify',
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined

/** Takes the listed properties out of `props` when `pick` accepts them; returns their values. */
function take<T>(
  props: Json,
  keys: readonly string[],
  pick: (v: unknown) => T | undefined,
): Array<T | undefined> {
  return keys.map((key) => {
    const value = pick(props[key])
    if (value !== undefined) delete props[key]
    return value
  })
}

function contextFrom(props: Json, type: EventType): Json {
  const [url, path, referrer] = take(props, ['$current_url', '$pathname', '$referrer'], str)
  // posthog-js adds the document title to $pageview as a plain property; it is kept there too.
  const title = type === 'page' ? str(props.title ?? props.$title) : undefined
  const [lib, libVersion, locale, timezone, userAgent, ip] = take(
    props,
    ['$lib', '$lib_version', '$browser_language', '$timezone', '$raw_user_agent', '$ip'],
    str,
  )
  const [width, height] = take(props, ['$screen_width', '$screen_height'], num)
  const campaign = compact({
    source: str(props.utm_source),
    medium: str(props.utm_medium),
    name: str(props.utm_campaign),
    term: str(props.utm_term),
    content: str(props.utm_content),
  })
  const page = compact({ url, path, referrer: referrer === '$direct' ? undefined : referrer, title })
  const library = compact({ name: lib, version: libVersion })
  const screen = compact({ width, height })
  const some = (o: Json) => (Object.keys(o).length > 0 ? o : undefined)
  return compact({
    page: some(page),
    campaign: some(campaign),
    library: some(library),
    screen: some(screen),
    locale,
    timezone,
    userAgent,
    ip,
  })
}

/**
 * `$groupidentify` is a group call. posthog-node's groupIdentify() without a distinctId sends
 * the synthetic `$<type>_<key>` (e.g. `$company_acme`) as distinct_id: that is no person, so
 * the call carries none (it must not count as a visitor); a real distinct_id stays the actor.
 */
function groupFields(
  props: Json,
  distinct: string | undefined,
  device: string | undefined,
  anonymous: boolean,
): Json {
  // `$group_type` stays in properties, as PostHog names it.
  const groupType = str(props.$group_type)
  const [groupKey] = take(props, ['$group_key'], idOf)
  const traits = objectOr(props.$group_set)
  delete props.$group_set
  const synthetic =
    distinct !== undefined && groupType !== undefined && distinct === `$${groupType}_${groupKey}`
  const person = synthetic
    ? {}
    : anonymous
      ? { anonymous_id: distinct }
      : { user_id: distinct, anonymous_id: device }
  return { group_id: groupKey, traits, ...person }
}

function objectOr(value: unknown): Json {
  return isPlainObject(value) ? value : {}
}

const mapPostHogEvent: EventMapper = (raw, info) => {
  const name = raw.event
  const type: EventType = (typeof name === 'string' && EVENT_TYPES_BY_NAME[name]) || 'track'
  // A malformed properties value is passed on as is, for the schema to reject by name.
  if (raw.properties !== undefined && !isPlainObject(raw.properties)) {
    return { type, event: name, message_id: info.newId(), properties: raw.properties }
  }
  const props: Json = { ...objectOr(raw.properties) }
  const distinct = idOf(raw.distinct_id ?? raw.$distinct_id ?? props.distinct_id)
  delete props.distinct_id
  delete props.token
  const [device, anonFromIdentify] = take(props, ['$device_id', '$anon_distinct_id'], idOf)
  const userState = props.$user_state
  delete props.$user_state
  const fields: Json = {}
  // Person properties: posthog-js sends `$set` / `$set_once` beside `properties`, server SDKs
  // inside them; either way they are the person's traits (`$set` wins over `$set_once`).
  const traits = {
    ...objectOr(raw.$set_once),
    ...objectOr(props.$set_once),
    ...objectOr(raw.$set),
    ...objectOr(props.$set),
  }
  delete props.$set
  delete props.$set_once
  const anonymous =
    userState === 'anonymous' || props.$process_person_profile === false || device === distinct
  if (type === 'group') {
    Object.assign(fields, groupFields(props, distinct, device, anonymous))
  } else if (name === '$identify') {
    fields.user_id = distinct
    fields.anonymous_id = anonFromIdentify ?? device
  } else if (anonymous) {
    fields.anonymous_id = distinct
  } else {
    fields.user_id = distinct
    fields.anonymous_id = device
  }
  if (type !== 'group' && Object.keys(traits).length > 0) fields.traits = traits
  if (type === 'alias') fields.previous_id = take(props, ['alias'], idOf)[0]
  if (type === 'screen') fields.name = take(props, ['$screen_name'], str)[0]
  let timestamp = isoTime(raw.timestamp)
  // Older clients send `offset` (ms before sending) instead of a timestamp.
  if (timestamp === undefined && num(raw.offset) !== undefined) {
    timestamp = isoTime(Date.parse(info.receivedAt) - (raw.offset as number))
  }
  const context = contextFrom(props, type)
  return compact({
    type,
    event: type === 'track' ? name : undefined,
    message_id: idOf(raw.uuid) ?? (raw.uuid === undefined || raw.uuid === null ? info.newId() : raw.uuid),
    timestamp,
    properties: props,
    context: Object.keys(context).length > 0 ? context : undefined,
    ...compact(fields),
  })
}

const readPostHog: EventReader = (body, info) => {
  if (Array.isArray(body)) return readMapped({ events: body }, mapPostHogEvent, info)
  if (!isPlainObject(body)) {
    return { ok: false, code: 'invalid_request', message: 'expected an event, an array or {"batch":[...]}' }
  }
  if (Array.isArray(body.batch)) {
    return readMapped({ events: body.batch, sentAt: body.sent_at }, mapPostHogEvent, info)
  }
  const { api_key: _key, ...event } = body
  return readMapped({ events: [event] }, mapPostHogEvent, info)
}

/**
 * `/s/`: posthog-js's session recordings. Replays are out of scope, but a 404 would make the
 * library retry and log errors: the request is accepted (200) and every snapshot is counted
 * as refused (`unsupported_event`, in the rejected table) so the site can see them.
 */
const readRecordings: EventReader = (body) => {
  const events = Array.isArray(body)
    ? body
    : isPlainObject(body) && Array.isArray(body.batch)
      ? body.batch
      : [body]
  return {
    ok: true,
    value: {
      accepted: [],
      rejected: events.slice(0, 500).map((_, index) => ({
        index,
        code: 'unsupported_event' as const,
        message: 'session recordings are not supported; Sightline stores events only',
      })),
    },
  }
}

export const posthogRecordings: Surface = {
  ingestPath: 'posthog',
  decode: decodePostHog,
  read: readRecordings,
  refusalsAreSuccess: true,
  respond: (c) => c.json({ status: 1 }),
}

export const POSTHOG_RECORDING_PATHS = ['/s', '/s/']

export const posthog: Surface = {
  ingestPath: 'posthog',
  decode: decodePostHog,
  read: readPostHog,
  // What PostHog's capture endpoints answer; its SDKs only check for a 2xx.
  respond: (c) => c.json({ status: 1 }),
}

/** PostHog's ingestion paths, with and without the trailing slash its SDKs add. */
export const POSTHOG_PATHS = ['/e', '/capture', '/batch', '/i/v0/e'].flatMap((p) => [p, `${p}/`])
