import * as z from 'zod'
import { LIMITS } from './limits.ts'

export const EVENT_TYPES = ['track', 'page', 'identify', 'alias', 'group', 'screen'] as const
export type EventType = (typeof EVENT_TYPES)[number]

/** Names given to non-track events, so every row has a queryable `event`. */
export const IMPLICIT_EVENT_NAMES: Record<Exclude<EventType, 'track'>, string> = {
  page: '$pageview',
  screen: '$screen',
  identify: '$identify',
  alias: '$alias',
  group: '$group',
}

/**
 * The public name of page views is `pageview` (docs/compat.md#event-names): accepted wherever an event
 * name is — a query's `event`, a `track` call, the pixel's `e=` — and stored under the
 * internal name `$pageview` with type `page`, so every surface's page views are one event.
 */
export const PAGEVIEW_EVENT = 'pageview'
export const EVENT_NAME_ALIASES: Readonly<Record<string, string>> = { [PAGEVIEW_EVENT]: '$pageview' }

/** The name events are stored under: an alias resolved, any other name as given. */
export function storedEventName(name: string): string {
  return Object.hasOwn(EVENT_NAME_ALIASES, name) ? EVENT_NAME_ALIASES[name]! : name
}

const id = z.string().min(1).max(LIMITS.maxIdLength)
const isoTime = z.iso.datetime({ offset: true, local: false })
const jsonObject = z.record(z.string(), z.unknown())

export const PageContextSchema = z.object({
  url: z.string().optional(),
  path: z.string().optional(),
  referrer: z.string().optional(),
  title: z.string().optional(),
  search: z.string().optional(),
})

export const CampaignContextSchema = z.object({
  source: z.string().optional(),
  medium: z.string().optional(),
  name: z.string().optional(),
  term: z.string().optional(),
  content: z.string().optional(),
})

/** Known context fields are typed; anything else a client sends is kept as-is (within limits). */
export const ContextSchema = z.looseObject({
  page: PageContextSchema.optional(),
  campaign: CampaignContextSchema.optional(),
  screen: z.object({ width: z.number().optional(), height: z.number().optional() }).optional(),
  locale: z.string().optional(),
  timezone: z.string().optional(),
  library: z.object({ name: z.string().optional(), version: z.string().optional() }).optional(),
  userAgent: z.string().optional(),
  ip: z.string().optional(),
})
export type EventContext = z.infer<typeof ContextSchema>

/** An event as a client sends it (the native API; Segment's field names are accepted too). */
export const InboundEventSchema = z
  .object({
    type: z.enum(EVENT_TYPES),
    event: z.string().min(1).max(LIMITS.maxEventNameLength).optional(),
    name: z.string().max(LIMITS.maxEventNameLength).optional(),
    message_id: id,
    anonymous_id: id.optional(),
    user_id: id.optional(),
    group_id: id.optional(),
    previous_id: id.optional(),
    timestamp: isoTime.optional(),
    sent_at: isoTime.optional(),
    properties: jsonObject.optional(),
    traits: jsonObject.optional(),
    context: ContextSchema.optional(),
  })
  // A group call may be about the group alone (posthog-node's groupIdentify sends no person).
  .refine(
    (e) =>
      e.anonymous_id !== undefined ||
      e.user_id !== undefined ||
      (e.type === 'group' && e.group_id !== undefined),
    {
      message: 'an event needs anonymous_id or user_id (a group call: at least group_id)',
      path: ['anonymous_id'],
    },
  )
  .refine((e) => e.type !== 'track' || e.event !== undefined, {
    message: 'a track event needs an event name',
    path: ['event'],
  })
export type InboundEvent = z.infer<typeof InboundEventSchema>

export const InboundBatchSchema = z.object({
  batch: z.array(z.unknown()),
  sent_at: isoTime.optional(),
  context: ContextSchema.optional(),
})

/** Where an event entered Sightline; kept on every row. */
export const INGEST_PATHS = ['native', 'beacon', 'pixel', 'segment', 'posthog', 'canary'] as const
export type IngestPath = (typeof INGEST_PATHS)[number]

export interface Geo {
  country?: string
  region?: string
  city?: string
  timezone?: string
  continent?: string
  latitude?: number
  longitude?: number
  asn?: number
  as_org?: string
}

export interface Device {
  browser?: string
  browser_version?: string
  os?: string
  os_version?: string
  device_type?: string
  device_vendor?: string
  device_model?: string
}

export interface BotVerdict {
  is_bot: boolean
  score: number
  reasons: string[]
}

/**
 * An event after the edge: normalised (`event` always set), stamped and enriched.
 * This is what travels edge → bridge → stream → writer.
 */
export interface EnrichedEvent {
  type: EventType
  event: string
  message_id: string
  anonymous_id: string
  user_id: string
  group_id?: string
  previous_id?: string
  /** Client clock, as sent. */
  timestamp: string
  sent_at?: string
  /** Server clock at the edge. */
  received_at: string
  /** Corrected event time: received_at − (sent_at − timestamp), clamped. */
  ts: string
  clock_skewed: boolean
  site_id: string
  properties: Record<string, unknown>
  traits: Record<string, unknown>
  context: EventContext
  ingest_path: IngestPath
  geo?: Geo
  device?: Device
  bot?: BotVerdict
  edge?: { colo?: string; region?: string }
  /** Present only when the site opted in to keeping raw IPs. */
  ip?: string
  /**
   * Transient, edge → bridge only: the truncated client IP (/24, /48) for the bridge's geo
   * fallback when request.cf had no usable geo. The bridge removes it before storing.
   */
  geo_ip?: string
  user_agent?: string
}
