import { ERROR_DOCS_BASE, type ErrorCode } from '@sightline/contracts'
import { HttpError } from '@sightline/http'
import {
  CLOSE,
  ClientMessage,
  type CloseCode,
  LIVE_PROTOCOL_VERSION,
  type ServerMessage,
  type Subscribe,
  type VisitorsData,
} from '@sightline/live-client'
import type { WebSocket } from 'ws'
import type { ReadKeyResolver, SiteWatermark } from '../ports.ts'
import { EventsTail } from './events-tail.ts'
import type { KeyLimits } from './key-limits.ts'
import type { CheckedSpec, LiveQueries } from './live-queries.ts'
import type { LiveOptions } from './options.ts'
import type { EventsListener, SiteFeeds } from './site-feed.ts'

export interface ConnectionDeps {
  keys: ReadKeyResolver
  feeds: SiteFeeds
  limits: KeyLimits
  options: LiveOptions
  now: () => number
  watermark: SiteWatermark
  /** The `query` channel; absent when the server has no warehouse to run specs on. */
  queries?: LiveQueries
  onBug: (err: unknown) => void
}

interface Active {
  site: string
  /** events and visitors: the site feed's listener. */
  listener?: EventsListener
  timer?: ReturnType<typeof setInterval>
  /** query: leaves the spec's shared group. */
  leave?: () => void
}

/**
 * One WebSocket's life: auth (first message or subprotocol), then subscriptions. Every
 * send goes through `send`, which enforces the buffer bound, so no path can queue
 * without limit for a client that does not read.
 */
export class LiveConnection {
  private key: string | undefined
  private sites: string[] = []
  private readonly subs = new Map<string, Active>()
  private lastActivityMs: number
  private awaitingPong = false
  private closed = false
  private readonly timers: ReturnType<typeof setTimeout>[] = []

  constructor(
    private readonly ws: WebSocket,
    private readonly deps: ConnectionDeps,
    protocolKey: string | undefined,
  ) {
    this.lastActivityMs = deps.now()
    ws.on('message', (data, isBinary) => this.guard(() => this.onMessage(isBinary ? '' : String(data))))
    ws.on('pong', () => (this.awaitingPong = false))
    ws.on('close', () => this.dispose())
    ws.on('error', () => this.dispose())
    if (protocolKey !== undefined) void this.guard(() => this.authenticate(protocolKey))
    else
      this.timers.push(
        setTimeout(
          () => this.key ?? this.close(CLOSE.authTimeout, 'auth timeout'),
          deps.options.authTimeoutMs,
        ),
      )
    this.timers.push(setInterval(() => this.tick(), deps.options.heartbeatMs))
  }

  /** False once closed or closing: limits and counts no longer include it. */
  get alive(): boolean {
    return !this.closed
  }

  /** Shutdown: tell the client to come back (1012), then drop whatever does not close. */
  shutdown(): void {
    this.close(CLOSE.serviceRestart, 'server restarting; reconnect')
  }

  private async onMessage(text: string): Promise<void> {
    this.lastActivityMs = this.deps.now()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return this.key === undefined
        ? this.close(CLOSE.badFirstMessage, 'first message must be JSON auth')
        : this.error('invalid_json', 'The message is not valid JSON.')
    }
    const parsed = ClientMessage.safeParse(json)
    if (this.key === undefined) {
      if (!parsed.success || parsed.data.type !== 'auth') {
        return this.close(CLOSE.badFirstMessage, 'first message must be {"type":"auth","key":…}')
      }
      return this.authenticate(parsed.data.key)
    }
    if (!parsed.success) {
      const id = (json as { id?: unknown } | null)?.id
      const issue = parsed.error.issues[0]
      return this.error(
        'invalid_request',
        `${issue?.path.join('.') || 'message'}: ${issue?.message}`,
        typeof id === 'string' ? id : undefined,
      )
    }
    const m = parsed.data
    switch (m.type) {
      case 'auth':
        return this.error('invalid_request', 'Already authenticated.')
      case 'ping':
        return this.send({
          type: 'heartbeat',
          at: new Date(this.deps.now()).toISOString(),
          ...(m.nonce ? { nonce: m.nonce } : {}),
        })
      case 'unsubscribe':
        if (!this.subs.has(m.id)) return this.error('not_found', `No subscription ${m.id}.`, m.id)
        return this.stop(m.id)
      case 'subscribe':
        return this.subscribe(m)
    }
  }

  private async authenticate(key: string): Promise<void> {
    const grant = await this.deps.keys.resolve(key)
    if (this.closed) return
    if (grant === undefined) return this.close(CLOSE.authFailed, 'unknown read key')
    if (!this.deps.limits.openConnection(key))
      return this.close(CLOSE.tooManyConnections, 'too many connections for this key')
    this.key = key
    this.sites = grant.siteIds
    const o = this.deps.options
    this.send({
      type: 'ready',
      v: LIVE_PROTOCOL_VERSION,
      sites: this.sites,
      limits: {
        subscriptions: o.maxSubscriptionsPerConnection,
        heartbeat_ms: o.heartbeatMs,
        max_events_per_s: o.maxEventsPerS,
        query_min_interval_ms: o.queryMinIntervalMs,
      },
    })
  }

  private async subscribe(m: Subscribe): Promise<void> {
    // Compared only: the site string is never used before it matched one of the key's sites.
    if (!this.sites.includes(m.site))
      return this.error('forbidden_site', 'The read key is not allowed to read this site.', m.id)
    if (this.subs.has(m.id))
      return this.error('conflict', `Subscription id ${m.id} is in use; unsubscribe first.`, m.id)
    // Checked before the limits: a refused spec never holds a subscription slot.
    let spec: CheckedSpec | undefined
    if (m.channel === 'query') {
      const queries = this.deps.queries
      if (!queries) return this.error('invalid_request', 'This server has no query channel.', m.id)
      try {
        spec = queries.check(m.site, m.spec!)
      } catch (err) {
        if (err instanceof HttpError) return this.error(err.code, err.message, m.id)
        throw err
      }
    }
    if (
      this.subs.size >= this.deps.options.maxSubscriptionsPerConnection ||
      !this.deps.limits.addSubscription(this.key!)
    ) {
      return this.error('rate_limited', 'Subscription limit reached; unsubscribe something first.', m.id)
    }
    if (spec !== undefined) return this.subscribeQuery(m, spec)
    const { feeds, options } = this.deps
    const watermark = () => this.deps.watermark.forSite(m.site)
    if (m.channel === 'events') {
      const tail = new EventsTail(m, options.maxEventsPerS)
      const listener: EventsListener = (events, nowMs) => {
        const data = tail.take(events, nowMs)
        if (data) this.send({ type: 'update', id: m.id, channel: 'events', data, watermark: watermark() })
      }
      this.subs.set(m.id, { site: m.site, listener })
      feeds.join(m.site, listener)
      await feeds.ready(m.site)
      this.send({
        type: 'snapshot',
        id: m.id,
        channel: 'events',
        data: { events: [], sample_rate: 1, rate_per_s: 0 },
        watermark: watermark(),
      })
      return
    }
    const active: Active = { site: m.site, listener: () => {} }
    this.subs.set(m.id, active)
    feeds.join(m.site, active.listener!)
    await feeds.ready(m.site)
    let last = feeds.visitors(m.site)!
    this.send({ type: 'snapshot', id: m.id, channel: 'visitors', data: last, watermark: watermark() })
    active.timer = setInterval(() => {
      const now = feeds.visitors(m.site)
      if (!now || sameVisitors(now, last)) return
      last = now
      this.send({ type: 'update', id: m.id, channel: 'visitors', data: now, watermark: watermark() })
    }, options.visitorsPushMs)
  }

  /**
   * Joins the spec's shared group. A `since` equal to the site's current watermark means the
   * client already holds this watermark's answer: it is told so instead of being sent it again.
   * Not for a spec that moves with the clock: its answer also changes with no new data (a clock
   * run keeps the watermark), so the one the client holds may be older than the group's.
   */
  private subscribeQuery(m: Subscribe, spec: CheckedSpec): void {
    const current = this.deps.watermark.forSite(m.site)
    const resumed = !spec.movesWithClock && m.since !== undefined && m.since === current
    const active: Active = { site: m.site }
    this.subs.set(m.id, active)
    if (resumed)
      this.send({ type: 'snapshot', id: m.id, channel: 'query', watermark: current, unchanged: true })
    active.leave = this.deps.queries!.join(
      m.site,
      spec,
      {
        key: this.key!,
        deliver: (type, data, watermark) =>
          this.send(
            type === 'snapshot'
              ? { type, id: m.id, channel: 'query', data, watermark }
              : { type, id: m.id, channel: 'query', data, watermark },
          ),
        fail: (err, initial) => {
          const e = err instanceof HttpError ? err : undefined
          if (!e) this.deps.onBug(err)
          this.error(e?.code ?? 'internal', e?.message ?? 'Internal error running the live query.', m.id)
          // Without a snapshot there is nothing to update: the subscription ends with its error.
          if (initial) this.stop(m.id)
        },
      },
      !resumed,
    )
  }

  private stop(id: string): void {
    const sub = this.subs.get(id)
    if (!sub) return
    this.subs.delete(id)
    clearInterval(sub.timer)
    if (sub.listener) this.deps.feeds.leave(sub.site, sub.listener)
    sub.leave?.()
    if (this.key !== undefined) this.deps.limits.removeSubscription(this.key)
  }

  private tick(): void {
    if (this.awaitingPong) {
      this.terminate()
      return
    }
    const o = this.deps.options
    if (this.subs.size === 0 && this.deps.now() - this.lastActivityMs >= o.idleMs) {
      this.close(CLOSE.idle, 'idle')
      return
    }
    if (this.key !== undefined) this.send({ type: 'heartbeat', at: new Date(this.deps.now()).toISOString() })
    this.awaitingPong = true
    this.ws.ping()
  }

  private error(code: ErrorCode, message: string, id?: string): void {
    this.send({
      type: 'error',
      ...(id ? { id } : {}),
      error: { code, message, docs: `${ERROR_DOCS_BASE}#${code}` },
    })
  }

  private send(message: ServerMessage): void {
    if (this.closed) return
    if (this.ws.bufferedAmount > this.deps.options.maxBufferedBytes) {
      this.close(CLOSE.slowConsumer, 'slow consumer: send buffer full')
      return
    }
    this.ws.send(JSON.stringify(message))
  }

  private close(code: CloseCode, reason: string): void {
    if (this.closed) return
    this.ws.close(code, reason)
    this.dispose()
    // A peer that does not read will not answer the close either.
    setTimeout(() => this.terminate(), 2_000).unref()
  }

  private terminate(): void {
    this.dispose()
    this.ws.terminate()
  }

  private dispose(): void {
    if (this.closed) return
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    for (const id of [...this.subs.keys()]) this.stop(id)
    if (this.key !== undefined) this.deps.limits.closeConnection(this.key)
  }

  private async guard(work: () => Promise<void> | void): Promise<void> {
    try {
      await work()
    } catch (err) {
      this.deps.onBug(err)
      this.close(1011 as CloseCode, 'internal error')
    }
  }
}

/** Equal apart from the timestamp: only a changed count or ranking is worth a push. */
function sameVisitors(a: VisitorsData, b: VisitorsData): boolean {
  return JSON.stringify({ ...a, at: '' }) === JSON.stringify({ ...b, at: '' })
}
