/** The live API's limits and timings; every one is documented in docs/live.md. */
export interface LiveOptions {
  /** An `auth` message must arrive within this after the upgrade. */
  authTimeoutMs: number
  /** Open connections per read key. */
  maxConnectionsPerKey: number
  /** Subscriptions per connection. */
  maxSubscriptionsPerConnection: number
  /** Subscriptions per read key over all its connections. */
  maxSubscriptionsPerKey: number
  /** Bytes queued for one connection beyond which it is closed as a slow consumer. */
  maxBufferedBytes: number
  /** `events` subscriptions are sampled above this many matching events per second. */
  maxEventsPerS: number
  /** Server heartbeat (a message and a WebSocket ping); a missed pong closes the socket. */
  heartbeatMs: number
  /** A connection with no subscription and no message for this long is closed. */
  idleMs: number
  /** How often `visitors` subscribers are checked for a changed summary. */
  visitorsPushMs: number
  /** "Active" in the `visitors` channel. */
  visitorsWindowMs: number
  /** Largest client message accepted (room for a 16 KB query spec, as on REST). */
  maxMessageBytes: number
  /** A `query` subscription's spec is run again at most once per this interval. */
  queryMinIntervalMs: number
  /**
   * A `query` spec whose range moves with the clock (`to` omitted) is also run at every
   * multiple of this, with or without new data; a divisor of a minute (clock-runs.ts).
   */
  queryClockStepMs: number
}

export const DEFAULT_LIVE_OPTIONS: LiveOptions = {
  authTimeoutMs: 5_000,
  maxConnectionsPerKey: 20,
  maxSubscriptionsPerConnection: 20,
  maxSubscriptionsPerKey: 100,
  maxBufferedBytes: 1024 * 1024,
  maxEventsPerS: 100,
  heartbeatMs: 15_000,
  idleMs: 60_000,
  visitorsPushMs: 250,
  visitorsWindowMs: 5 * 60_000,
  maxMessageBytes: 20 * 1024,
  queryMinIntervalMs: 1_000,
  queryClockStepMs: 60_000,
}
