// A small client for the live API (docs/live.md): browser WebSocket or Node's `ws`,
// authenticates, re-subscribes after every reconnect, backs off between attempts.
import {
  CLOSE,
  type ClientMessage,
  LIVE_SUBPROTOCOL,
  type QueryData,
  type ServerMessage,
  ServerMessageSchema,
  type Subscribe,
} from './protocol.ts'

/** The part of the WebSocket API used here: the browser's, Node ≥ 22's and `ws`'s all fit. */
export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onerror: ((event: unknown) => void) | null
}
export type WebSocketFactory = new (url: string, protocols?: string | string[]) => WebSocketLike

export interface LiveClientOptions {
  /** ws(s)://host:port/v1/live */
  url: string
  key: string
  /** Defaults to globalThis.WebSocket (browsers, Node ≥ 22); pass `ws`'s on older Node. */
  WebSocket?: WebSocketFactory
  /** Where the key travels: the first message (default) or the Sec-WebSocket-Protocol header. */
  authVia?: 'message' | 'protocol'
  reconnect?: boolean
  backoff?: { initialMs?: number; maxMs?: number }
}

export type Listener = (message: ServerMessage) => void
export type CloseListener = (code: number, reason: string) => void
export type Subscription = Omit<Subscribe, 'type'>

/** Closes after which reconnecting cannot help (the key is wrong). */
const FINAL = new Set<number>([CLOSE.authFailed, CLOSE.badFirstMessage])

export class LiveClient {
  private socket: WebSocketLike | undefined
  private readonly subscriptions = new Map<string, Subscription>()
  /** Per subscription: the last watermark seen, and for `query` the data it came with. */
  private readonly seen = new Map<string, { watermark: string; data?: QueryData }>()
  private readonly listeners = new Set<Listener>()
  private readonly closeListeners = new Set<CloseListener>()
  private attempt = 0
  private closedByUser = false
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly options: LiveClientOptions) {
    this.connect()
  }

  /** Every server message, validated. Returns an unsubscribe function. */
  on(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  onClose(listener: CloseListener): () => void {
    this.closeListeners.add(listener)
    return () => this.closeListeners.delete(listener)
  }

  /**
   * Kept across reconnects: each new connection subscribes again, with `since` set to the
   * last watermark this subscription saw (docs/live.md, "Resuming").
   */
  subscribe(subscription: Subscription): void {
    this.subscriptions.set(subscription.id, subscription)
    this.seen.delete(subscription.id)
    if (this.ready) this.send({ type: 'subscribe', ...subscription })
  }

  unsubscribe(id: string): void {
    this.subscriptions.delete(id)
    this.seen.delete(id)
    if (this.ready) this.send({ type: 'unsubscribe', id })
  }

  /** The last watermark a subscription saw (what the next re-subscribe sends as `since`). */
  lastWatermark(id: string): string | undefined {
    return this.seen.get(id)?.watermark
  }

  ping(nonce?: string): void {
    this.send({ type: 'ping', ...(nonce ? { nonce } : {}) })
  }

  /** Resolves with the first message (from now on) that matches, or rejects after timeoutMs. */
  waitFor<T extends ServerMessage>(match: (m: ServerMessage) => m is T, timeoutMs?: number): Promise<T>
  waitFor(match: (m: ServerMessage) => boolean, timeoutMs?: number): Promise<ServerMessage>
  waitFor(match: (m: ServerMessage) => boolean, timeoutMs = 10_000): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off()
        reject(new Error(`no matching live message within ${timeoutMs} ms`))
      }, timeoutMs)
      const off = this.on((m) => {
        if (!match(m)) return
        clearTimeout(timer)
        off()
        resolve(m)
      })
    })
  }

  /** Resolves with the next close's code. */
  nextClose(): Promise<{ code: number; reason: string }> {
    return new Promise((resolve) => {
      const off = this.onClose((code, reason) => {
        off()
        resolve({ code, reason })
      })
    })
  }

  close(): void {
    this.closedByUser = true
    clearTimeout(this.timer)
    this.socket?.close(1000, 'client closed')
  }

  private ready = false

  private connect(): void {
    const Ctor = this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketFactory }).WebSocket
    if (!Ctor) throw new Error('no WebSocket implementation: pass options.WebSocket (e.g. the `ws` package)')
    const viaProtocol = this.options.authVia === 'protocol'
    const socket = new Ctor(
      this.options.url,
      viaProtocol ? [LIVE_SUBPROTOCOL, this.options.key] : LIVE_SUBPROTOCOL,
    )
    this.socket = socket
    this.ready = false
    socket.onopen = () => {
      if (!viaProtocol) socket.send(JSON.stringify({ type: 'auth', key: this.options.key }))
    }
    socket.onmessage = (event) => {
      const parsed = ServerMessageSchema.safeParse(JSON.parse(String(event.data)))
      if (!parsed.success) throw new Error(`unexpected live message: ${String(event.data).slice(0, 200)}`)
      const message = this.remember(parsed.data as ServerMessage)
      if (message.type === 'ready') {
        this.ready = true
        this.attempt = 0
        for (const s of this.subscriptions.values()) {
          const since = this.seen.get(s.id)?.watermark
          this.send({ type: 'subscribe', ...s, ...(since === undefined ? {} : { since }) })
        }
      }
      for (const listener of this.listeners) listener(message)
    }
    socket.onerror = () => {}
    socket.onclose = (event) => {
      this.ready = false
      for (const listener of this.closeListeners) listener(event.code, event.reason)
      if (this.closedByUser || this.options.reconnect === false || FINAL.has(event.code)) return
      this.timer = setTimeout(() => this.connect(), this.backoffMs())
    }
  }

  /**
   * Notes each subscription's watermark; an `unchanged` query snapshot (the server ran nothing
   * because `since` was current) is handed on with the data this client last saw.
   */
  private remember(message: ServerMessage): ServerMessage {
    if ((message.type !== 'snapshot' && message.type !== 'update') || !this.subscriptions.has(message.id))
      return message
    const prior = this.seen.get(message.id)
    if ('unchanged' in message) {
      this.seen.set(message.id, { ...prior, watermark: message.watermark })
      return prior?.data === undefined ? message : { ...message, data: prior.data }
    }
    this.seen.set(message.id, {
      watermark: message.watermark,
      ...(message.channel === 'query' ? { data: message.data } : {}),
    })
    return message
  }

  /** Exponential with full jitter, so a restarted server is not hit by every client at once. */
  private backoffMs(): number {
    const initial = this.options.backoff?.initialMs ?? 500
    const max = this.options.backoff?.maxMs ?? 30_000
    const ceiling = Math.min(max, initial * 2 ** this.attempt++)
    return ceiling / 2 + Math.random() * (ceiling / 2)
  }

  private send(message: ClientMessage): void {
    if (this.socket?.readyState === 1) this.socket.send(JSON.stringify(message))
  }
}
