// GET /v1/live: the WebSocket face of the query service (docs/live.md). Attached to the
// query service's own Node listener through its `upgrade` event, beside the Hono app.
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { LIVE_PATH, LIVE_SUBPROTOCOL } from '@sightline/live-client'
import type { PubSub } from '@sightline/state'
import { WebSocketServer } from 'ws'
import { systemTimers } from '../adapters/system-timers.ts'
import type { ReadKeyResolver, SiteWatermark, Timers } from '../ports.ts'
import { checkClockStep } from './clock-runs.ts'
import { LiveConnection } from './connection.ts'
import { KeyLimits } from './key-limits.ts'
import { LiveQueries, type LiveQueryDeps } from './live-queries.ts'
import { DEFAULT_LIVE_OPTIONS, type LiveOptions } from './options.ts'
import { SiteFeeds } from './site-feed.ts'

export interface LiveDeps {
  keys: ReadKeyResolver
  /** Where accepted events arrive (`channels.live(site)`); in-process or Redis. */
  pubsub: PubSub
  /** The data watermark every snapshot and update carries, and what `query` re-runs on. */
  watermark: SiteWatermark
  /** Enables the `query` channel; without it a `query` subscribe is refused. */
  query?: LiveQueryDeps
  options?: Partial<LiveOptions>
  now?: () => number
  /**
   * The clock and timers of live query runs (debounce and clock runs); by default Node's, on
   * `now` when that is given. A test passes a manual one to move time without sleeping.
   */
  timers?: Timers
  onBug?: (err: unknown) => void
}

export interface LiveEndpoint {
  /** Open live connections. */
  connections(): number
  /** Distinct live query specs being kept up to date (one shared run per watermark each). */
  queryGroups(): number
  /** Of those, the ones waiting for a clock run (their range moves with the clock). */
  queryClockTimers(): number
  /** Closes every connection with 1012 (reconnect) and stops accepting upgrades. */
  close(): Promise<void>
}

export function attachLive(server: Server, deps: LiveDeps): LiveEndpoint {
  const options = { ...DEFAULT_LIVE_OPTIONS, ...deps.options }
  const now = deps.now ?? Date.now
  checkClockStep(options.queryClockStepMs)
  const timers = deps.timers ?? (deps.now ? { ...systemTimers, now } : systemTimers)
  const feeds = new SiteFeeds(deps.pubsub, { windowMs: options.visitorsWindowMs, now })
  const limits = new KeyLimits({
    connections: options.maxConnectionsPerKey,
    subscriptions: options.maxSubscriptionsPerKey,
  })
  const queries = deps.query
    ? new LiveQueries(deps.query, deps.watermark, {
        minIntervalMs: options.queryMinIntervalMs,
        clockStepMs: options.queryClockStepMs,
        timers,
      })
    : undefined
  const open = new Set<LiveConnection>()
  let closing = false
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes,
    // Never echo the key back: the only protocol ever selected is the versioned name.
    handleProtocols: (offered) => (offered.has(LIVE_SUBPROTOCOL) ? LIVE_SUBPROTOCOL : false),
  })

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path !== LIVE_PATH || closing) {
      socket.end(
        `HTTP/1.1 ${closing ? '503 Service Unavailable' : '404 Not Found'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      )
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new LiveConnection(
        ws,
        {
          keys: deps.keys,
          feeds,
          limits,
          options,
          now,
          watermark: deps.watermark,
          ...(queries ? { queries } : {}),
          onBug: deps.onBug ?? (() => {}),
        },
        protocolKey(req.headers['sec-websocket-protocol']),
      )
      open.add(connection)
      ws.once('close', () => open.delete(connection))
    })
  }
  server.on('upgrade', onUpgrade)

  return {
    connections: () => [...open].filter((c) => c.alive).length,
    queryGroups: () => queries?.groupCount() ?? 0,
    queryClockTimers: () => queries?.clockWaiting() ?? 0,
    async close() {
      closing = true
      server.off('upgrade', onUpgrade)
      const closed = [...wss.clients].map((ws) => new Promise<void>((r) => ws.once('close', () => r())))
      for (const c of open) c.shutdown()
      queries?.close()
      await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 3_000).unref())])
      for (const ws of wss.clients) ws.terminate()
      await new Promise<void>((r) => wss.close(() => r()))
    },
  }
}

/** The offered subprotocols besides the versioned name: the first one is the read key. */
function protocolKey(header: string | undefined): string | undefined {
  if (!header) return undefined
  return header
    .split(',')
    .map((p) => p.trim())
    .find((p) => p !== LIVE_SUBPROTOCOL && p.length > 0)
}
