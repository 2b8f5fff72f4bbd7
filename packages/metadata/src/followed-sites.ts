// Per-site settings held in memory and followed from a source asked again every `pollMs`:
// the metadata catalog (the store's change counter, sql/catalog.ts) and a bridge's view of the
// hub (HTTP, ingest-bridge's sites-remote.ts) differ only in how they ask.
import { type BridgeSite, siteSettingsIndex } from './site.ts'

export interface FollowSitesOptions<T> {
  /**
   * Asks the source: what it holds now, or 'unchanged' when that is still `current` (what the
   * last change gave; undefined on the first call, which must answer with what it holds).
   */
  load(current: T | undefined): Promise<T | 'unchanged'>
  /** The sites of what `load` gave: the settings answer from them. */
  sites(loaded: T): readonly BridgeSite[]
  pollMs: number
  /** A poll that failed; what the last change gave stays in use. */
  onError?: (err: unknown) => void
  /** Each change after the first load, once in place: `settings` already answer from it. */
  onChange?: (loaded: T) => void
}

export interface FollowedSites<T> {
  /** composePipeline's `sites`: answers from what the last change gave. */
  settings: ReturnType<typeof siteSettingsIndex>
  /** What the last change gave (the first load until something changes). */
  current(): T
  /** Asks now; true when something changed. */
  refresh(): Promise<boolean>
  stop(): void
}

/**
 * Loads once (throwing if that fails: the caller decides whether it may start without), then
 * polls. What a load gives and the settings answering from its sites are replaced together,
 * so a reader never sees one without the other.
 */
export async function followSites<T>(options: FollowSitesOptions<T>): Promise<FollowedSites<T>> {
  const first = await options.load(undefined)
  if (first === 'unchanged') throw new Error('followSites: the first load has nothing to be unchanged from')
  let current = first
  let index = siteSettingsIndex(options.sites(first))
  let pending: Promise<boolean> | undefined

  async function load(): Promise<boolean> {
    const loaded = await options.load(current)
    if (loaded === 'unchanged') return false
    current = loaded
    index = siteSettingsIndex(options.sites(loaded))
    options.onChange?.(loaded)
    return true
  }
  // One load at a time: a caller arriving during one waits for it, then asks again (the
  // change it was told about may have landed after that load read the source).
  const refresh = async (): Promise<boolean> => {
    while (pending) await pending.catch(() => {})
    pending = load().finally(() => {
      pending = undefined
    })
    return pending
  }
  // A poll due while a load is out is skipped: a slow source must not pile polls up behind it.
  const timer = setInterval(() => {
    if (!pending) refresh().catch((err) => options.onError?.(err))
  }, options.pollMs)
  // The poll must not keep a Node process alive; workerd (which loads this package too) has
  // plain numbers for timers.
  ;(timer as { unref?: () => void }).unref?.()

  return {
    settings: {
      retentionDays: (siteId) => index.retentionDays(siteId),
      keepIp: (siteId) => index.keepIp(siteId),
      eventsPerMinute: (siteId) => index.eventsPerMinute(siteId),
    },
    current: () => current,
    refresh,
    stop: () => clearInterval(timer),
  }
}
