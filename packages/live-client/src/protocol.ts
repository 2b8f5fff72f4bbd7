// The live API's wire protocol (docs/live.md), shared by the server and the client so
// neither can drift from the other. Version 1; a breaking change gets a new subprotocol.
import type { LiveEvent } from '@sightline/contracts'
import { z } from 'zod'

export const LIVE_PROTOCOL_VERSION = 1
/** The subprotocol the server selects; a client may offer its read key as a second entry. */
export const LIVE_SUBPROTOCOL = 'sightline.live.v1'
export const LIVE_PATH = '/v1/live'

/** Close codes (4000–4999 are the application's own range). */
export const CLOSE = {
  /** Standard: the server is shutting down or restarting — reconnect with backoff. */
  serviceRestart: 1012,
  /** The first message was not valid JSON or not an `auth`. */
  badFirstMessage: 4400,
  /** Missing or unknown read key. */
  authFailed: 4401,
  /** No `auth` within the auth timeout. */
  authTimeout: 4408,
  /** No subscription and no message for the idle timeout, or no pong to a ping. */
  idle: 4410,
  /** The send buffer went over its bound: the client reads too slowly. */
  slowConsumer: 4413,
  /** Too many connections for this read key, or too many failed attempts. */
  tooManyConnections: 4429,
} as const
export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE]

const id = z.string().min(1).max(64)
const filterValue = z.string().min(1).max(256)

export const AuthMessage = z.strictObject({ type: z.literal('auth'), key: z.string().min(1).max(256) })
export const LIVE_CHANNELS = ['visitors', 'events', 'query'] as const
/** A watermark token as the server sends it (opaque to clients). */
const watermark = z.string().min(1).max(128)

export const SubscribeMessage = z
  .strictObject({
    type: z.literal('subscribe'),
    id,
    site: z.string().min(1).max(128),
    channel: z.enum(LIVE_CHANNELS),
    /** events only: exact event name (the public `pageview` is accepted for page views). */
    event: filterValue.optional(),
    /** events only: exact page path. */
    path: filterValue.optional(),
    /** events only: ISO country code. */
    country: filterValue.optional(),
    /**
     * query only, required: any spec `POST /v1/sites/:site/query` accepts (`{"kind": …, …}`),
     * validated by the server against the same schemas.
     */
    spec: z.record(z.string(), z.unknown()).optional(),
    /** The last `watermark` this subscription saw, when subscribing again after a reconnect. */
    since: watermark.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.channel === 'query' && m.spec === undefined)
      ctx.addIssue({ code: 'custom', path: ['spec'], message: 'required for channel query' })
    if (m.channel !== 'query' && m.spec !== undefined)
      ctx.addIssue({ code: 'custom', path: ['spec'], message: 'only for channel query' })
    for (const field of ['event', 'path', 'country'] as const) {
      if (m.channel !== 'events' && m[field] !== undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: 'only for channel events' })
    }
  })
export const UnsubscribeMessage = z.strictObject({ type: z.literal('unsubscribe'), id })
export const PingMessage = z.strictObject({ type: z.literal('ping'), nonce: z.string().max(64).optional() })

export const ClientMessage = z.discriminatedUnion('type', [
  AuthMessage,
  SubscribeMessage,
  UnsubscribeMessage,
  PingMessage,
])
export type ClientMessage = z.infer<typeof ClientMessage>
export type Subscribe = z.infer<typeof SubscribeMessage>
export type Channel = Subscribe['channel']

export interface Ranked {
  key: string
  count: number
}

/** The `visitors` channel's state: persons seen in the last `window_s` seconds. */
export interface VisitorsData {
  at: string
  window_s: number
  active: number
  top_pages: Ranked[]
  top_sources: Ranked[]
  top_countries: Ranked[]
}

/** A slice of the `events` tail. */
export interface EventsData {
  events: LiveEvent[]
  /** Fraction of matching events this subscription receives now (1 = all of them). */
  sample_rate: number
  /** Matching events per second over the last full second, before sampling. */
  rate_per_s: number
}

/**
 * The `query` channel's state: exactly the `result` of `POST /v1/sites/:site/query` for the
 * subscription's spec (its body without `meta`), e.g. a stats or breakdown answer.
 */
export type QueryData = Record<string, unknown>

type ChannelData = { visitors: VisitorsData; events: EventsData; query: QueryData }
type PerChannel<T extends 'snapshot' | 'update'> = {
  [C in Channel]: {
    type: T
    id: string
    channel: C
    data: ChannelData[C]
    /** The site's data watermark this message reflects; send it back as `since` after a reconnect. */
    watermark: string
  }
}[Channel]

/**
 * A `query` snapshot when `since` equals the current watermark: nothing ran and no data is
 * sent; the client keeps what it has (LiveClient re-emits it with the data it last saw).
 */
export interface UnchangedSnapshot {
  type: 'snapshot'
  id: string
  channel: 'query'
  watermark: string
  unchanged: true
  data?: QueryData
}

export interface ReadyLimits {
  subscriptions: number
  heartbeat_ms: number
  max_events_per_s: number
  /** A `query` subscription re-runs at most once per this many ms. */
  query_min_interval_ms?: number
}

export type ServerMessage =
  | { type: 'ready'; v: typeof LIVE_PROTOCOL_VERSION; sites: string[]; limits: ReadyLimits }
  | PerChannel<'snapshot'>
  | PerChannel<'update'>
  | UnchangedSnapshot
  | { type: 'error'; id?: string; error: { code: string; message: string; docs: string } }
  | { type: 'heartbeat'; at: string; nonce?: string }

export type ServerMessageOf<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>

const ranked = z.array(z.object({ key: z.string(), count: z.number().int().nonnegative() }))
const liveEvent = z.looseObject({ event: z.string(), ts: z.string(), person: z.string() })

const channelData = {
  visitors: z.object({
    at: z.string(),
    window_s: z.number(),
    active: z.number().int().nonnegative(),
    top_pages: ranked,
    top_sources: ranked,
    top_countries: ranked,
  }),
  events: z.object({
    events: z.array(liveEvent),
    sample_rate: z.number().gt(0).lte(1),
    rate_per_s: z.number(),
  }),
  query: z.record(z.string(), z.unknown()),
}

function channelMessage<T extends 'snapshot' | 'update'>(type: T) {
  const base = { type: z.literal(type), id, watermark }
  const of = <C extends 'visitors' | 'events'>(channel: C) =>
    z.object({ ...base, channel: z.literal(channel), data: channelData[channel] })
  // A query snapshot may come without data when it is `unchanged` (a resume at the same watermark).
  const query =
    type === 'snapshot'
      ? z
          .object({
            ...base,
            channel: z.literal('query'),
            data: channelData.query.optional(),
            unchanged: z.literal(true).optional(),
          })
          .refine((m) => m.unchanged === true || m.data !== undefined, { message: 'data is required' })
      : z.object({ ...base, channel: z.literal('query'), data: channelData.query })
  return z.discriminatedUnion('channel', [of('visitors'), of('events'), query])
}

/** What a client checks every server message against (a server bug surfaces as a parse error). */
export const ServerMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ready'),
    v: z.literal(LIVE_PROTOCOL_VERSION),
    sites: z.array(z.string()),
    limits: z.object({
      subscriptions: z.number(),
      heartbeat_ms: z.number(),
      max_events_per_s: z.number(),
      query_min_interval_ms: z.number().optional(),
    }),
  }),
  channelMessage('snapshot'),
  channelMessage('update'),
  z.object({
    type: z.literal('error'),
    id: id.optional(),
    error: z.object({ code: z.string(), message: z.string(), docs: z.string() }),
  }),
  z.object({ type: z.literal('heartbeat'), at: z.string(), nonce: z.string().optional() }),
])
