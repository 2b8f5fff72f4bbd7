// The tracker core. Every byte here ships on every page of every site, so the code favours
// size: one closure, no classes, storage keys of three letters. The budget (2 KB gzipped for
// the built s.js) is enforced by test/size.test.ts.
import { newId, type Store, storage } from './storage.ts'

declare const __VERSION__: string

export interface TrackerConfig {
  /** The site's write key (`wk_…`). */
  key: string
  /** Edge origin, e.g. `https://edge.example` (events go to `<endpoint>/v1/b`). */
  endpoint: string
  /** Automatic pageviews, SPA navigation included (default true). */
  auto?: boolean
  /** No identifier and nothing else is stored on the device; the edge derives a daily visitor id. */
  cookieless?: boolean
  /** Send nothing when the browser asks not to be tracked (Do-Not-Track or Global Privacy Control). */
  respectDnt?: boolean
  /** Send when this many events are queued (default 10)… */
  flushAt?: number
  /** …or this long after the first one was queued (default 1000 ms). */
  flushMs?: number
  /** Queue bound; the oldest events go first when it is full (default 200). */
  maxQueue?: number
}

export type Props = Record<string, unknown>

export interface Tracker {
  track(event: string, properties?: Props): void
  page(properties?: Props): void
  identify(userId: string, traits?: Props): void
  reset(): void
  optOut(): void
  optIn(): void
  /** Sends what is queued now (a beacon when `beacon` is true, as on page hide). */
  flush(beacon?: boolean): void
  /** Merged into every event's context; plugins add signals here (e.g. `webdriver`). */
  context: Props
}

interface QueuedEvent {
  type: string
  message_id: string
  timestamp: string
  [field: string]: unknown
}

const COOKIELESS_ID = '$cookieless'
const MAX_PER_REQUEST = 50

export function createTracker(c: TrackerConfig): Tracker {
  const w = window
  const nav = navigator
  const loc = location
  const store: Store = storage(!c.cookieless)
  const url = `${c.endpoint}/v1/b`
  const flushAt = c.flushAt || 10
  const maxQueue = c.maxQueue || 200
  const queueKey = `slq:${newId()}`
  let anonymousId = c.cookieless ? COOKIELESS_ID : store.get('sla') || store.set('sla', newId())
  let userId = store.get('slu')
  let queue: QueuedEvent[] = []
  let timer: ReturnType<typeof setTimeout> | 0 = 0
  let sending = false
  let failures = 0
  let lastPath: string | undefined
  let lastUrl = document.referrer

  const save = () => store.set(queueKey, queue.length ? JSON.stringify(queue) : '')
  const blocked = () =>
    store.get('slo') ||
    (c.respectDnt &&
      (nav.doNotTrack === '1' ||
        (nav as Navigator & { globalPrivacyControl?: boolean }).globalPrivacyControl))

  const schedule = (ms: number) => {
    if (!timer) timer = setTimeout(() => send(), ms)
  }

  const retry = (retryAfter?: string | null) => {
    failures++
    // Retry-After (seconds) wins; otherwise 1 s, 2 s, 4 s … capped at a minute, with jitter.
    const ms = Number(retryAfter) * 1000 || Math.min(6e4, 500 * 2 ** failures) * (1 + Math.random())
    schedule(ms)
  }

  const drop = (sent: QueuedEvent[]) => {
    queue = queue.filter((e) => !sent.includes(e))
    save()
  }

  const body = (batch: QueuedEvent[]) =>
    JSON.stringify({
      write_key: c.key,
      sent_at: new Date().toISOString(),
      context: {
        library: { name: 'sightline-browser', version: __VERSION__ },
        locale: nav.language,
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        screen: { width: screen.width, height: screen.height },
        ...api.context,
      },
      batch,
    })

  const send = (beacon?: boolean) => {
    clearTimeout(timer)
    timer = 0
    // Opted out (perhaps in another tab): what earlier pages queued is discarded, not sent.
    if (blocked()) {
      queue = []
      save()
    }
    // Offline: keep everything stored; the `online` event (or the next page load) sends it.
    if (!queue.length || nav.onLine === false) return
    if (beacon) {
      // The page is going away: hand every queued event to the browser, which sends after unload.
      for (let i = 0; i < queue.length; i += MAX_PER_REQUEST) {
        const batch = queue.slice(i, i + MAX_PER_REQUEST)
        if (nav.sendBeacon(url, body(batch))) drop(batch)
      }
      return
    }
    if (sending) return
    sending = true
    const batch = queue.slice(0, MAX_PER_REQUEST)
    fetch(url, { method: 'POST', body: body(batch), keepalive: true }).then(
      (r) => {
        sending = false
        const s = r.status
        // 429, 408 and 5xx are worth retrying; any other 4xx would fail the same way again.
        if (s === 429 || s === 408 || s > 499) return retry(r.headers.get('retry-after'))
        failures = 0
        drop(batch)
        if (queue.length) schedule(queue.length < flushAt ? c.flushMs || 1e3 : 0)
      },
      () => {
        sending = false
        retry()
      },
    )
  }

  const enqueue = (type: string, fields: Props, referrer?: string) => {
    if (blocked()) return
    const page = { url: loc.href, path: loc.pathname, search: loc.search, title: document.title, referrer }
    const campaign: Props = {}
    new URLSearchParams(loc.search).forEach((v, k) => {
      if (/^utm_(source|medium|campaign|term|content)$/.test(k))
        campaign[k === 'utm_campaign' ? 'name' : k.slice(4)] = v
    })
    queue.push({
      type,
      message_id: newId(),
      anonymous_id: anonymousId,
      ...(userId ? { user_id: userId } : {}),
      timestamp: new Date().toISOString(),
      context: { page, campaign },
      ...fields,
    })
    if (queue.length > maxQueue) queue.shift()
    save()
    // A full batch goes now, unless a retry is waiting out its backoff.
    if (queue.length >= flushAt && !failures) send()
    else schedule(c.flushMs || 1e3)
  }

  const api: Tracker = {
    context: {},
    track: (event, properties) => enqueue('track', { event, properties }),
    page: (properties) => {
      lastPath = loc.pathname
      enqueue('page', { properties }, lastUrl)
      lastUrl = loc.href
    },
    identify: (id, traits) => {
      userId = store.set('slu', id)
      enqueue('identify', { traits })
    },
    reset: () => {
      userId = store.set('slu', '')
      if (!c.cookieless) anonymousId = store.set('sla', newId())
    },
    optOut: () => {
      store.set('slo', '1')
      queue = []
      save()
    },
    optIn: () => store.set('slo', ''),
    flush: send,
  }

  // Events queued by earlier page loads (offline, or closed before they were sent) join ours.
  queue = store.adopt('slq:', maxQueue)
  save()

  if (c.auto !== false) {
    const onNavigate = () => {
      if (loc.pathname !== lastPath) api.page()
    }
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = history[method]
      history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
        original.apply(this, args)
        onNavigate()
      }
    }
    w.addEventListener('popstate', onNavigate)
    onNavigate()
  }
  w.addEventListener('online', () => {
    failures = 0
    send()
  })
  const hide = () => {
    save()
    send(true)
  }
  w.addEventListener('pagehide', hide)
  document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && hide())
  if (queue.length) schedule(0)
  return api
}
