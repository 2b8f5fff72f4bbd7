import type { LiveEvent } from '@sightline/contracts'
import type { VisitorsData } from '@sightline/live-client'
import { channels, type PubSub, type Subscription } from '@sightline/state'
import { VisitorsWindow } from './visitors-window.ts'

export type EventsListener = (events: readonly LiveEvent[], nowMs: number) => void

interface Feed {
  listeners: Set<EventsListener>
  window: VisitorsWindow
  subscription: Promise<Subscription>
  cached?: { version: number; validUntilMs: number; data: VisitorsData }
}

/**
 * One pub/sub subscription per watched site, shared by every live subscriber of that site
 * in this process, with the site's active-visitors window. A site nobody watches costs
 * nothing; its window starts when the first subscriber arrives.
 */
export class SiteFeeds {
  private readonly feeds = new Map<string, Feed>()

  constructor(
    private readonly pubsub: PubSub,
    private readonly options: { windowMs: number; now: () => number },
  ) {}

  join(site: string, listener: EventsListener): void {
    let feed = this.feeds.get(site)
    if (!feed) {
      const window = new VisitorsWindow(this.options.windowMs)
      const listeners = new Set<EventsListener>()
      const subscription = this.pubsub.subscribe(channels.live(site), (message) => {
        const events = (JSON.parse(message) as { events: LiveEvent[] }).events
        const now = this.options.now()
        for (const e of events) window.add(e, now)
        for (const l of listeners) l(events, now)
      })
      feed = { listeners, window, subscription }
      this.feeds.set(site, feed)
    }
    feed.listeners.add(listener)
  }

  leave(site: string, listener: EventsListener): void {
    const feed = this.feeds.get(site)
    if (!feed) return
    feed.listeners.delete(listener)
    if (feed.listeners.size > 0) return
    this.feeds.delete(site)
    void feed.subscription.then((s) => s.unsubscribe())
  }

  /** Resolves once the site's pub/sub subscription is live (so a snapshot is not ahead of it). */
  async ready(site: string): Promise<void> {
    await this.feeds.get(site)?.subscription
  }

  /**
   * The site's visitors summary, shared by its subscribers: kept for up to 100 ms while
   * nobody arrives, but never past the instant someone leaves the window, so a departure is
   * seen on time even when no event comes after it.
   */
  visitors(site: string): VisitorsData | undefined {
    const feed = this.feeds.get(site)
    if (!feed) return undefined
    const now = this.options.now()
    const c = feed.cached
    if (c && c.version === feed.window.version && now < c.validUntilMs) return c.data
    const data = feed.window.summary(now)
    const validUntilMs = Math.min(now + 100, feed.window.nextLeaveMs())
    feed.cached = { version: feed.window.version, validUntilMs, data }
    return data
  }
}
