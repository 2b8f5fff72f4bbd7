/**
 * Fire-and-forget fan-out (live event push, config-change notifications). At most once:
 * a subscriber that is disconnected misses what was published meanwhile, so `onReady` is
 * called after every (re)subscription — a config consumer re-reads its config there
 * instead of trusting that it saw every change.
 */
export interface PubSub {
  /** Returns how many subscribers received it (across processes for Redis). */
  publish(channel: string, message: string): Promise<number>
  subscribe(
    channel: string,
    onMessage: (message: string) => void,
    options?: { onReady?: () => void },
  ): Promise<Subscription>
  close(): Promise<void>
}

export interface Subscription {
  unsubscribe(): Promise<void>
}

/** Channel names; per-site ones carry the site so a sharded-pub/sub move keeps them in one slot. */
export const channels = {
  live: (siteId: string) => `live:${siteId}`,
  config: () => 'config',
}
