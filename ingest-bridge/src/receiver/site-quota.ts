import { checkSiteQuota, type RateCounters, refundSiteQuota } from '@sightline/state'
import type { LogFn } from '../logger.ts'
import type { Counters } from '../metrics.ts'

/** What the receiver needs for the per-site quota (ADR 0032). */
export interface SiteQuota {
  /** Shared by every bridge (Redis) for one limit per site; in memory it is per process. */
  counters: RateCounters
  /** The site's events_per_minute; undefined or 0: no quota (and no round trip). */
  eventsPerMinute(siteId: string): number | undefined
}

export type Admission =
  | {
      ok: true
      /** Gives the events back when the batch was not made durable after all. */
      refund(): Promise<void>
    }
  | { ok: false; message: string; retryAfterS: number }

const REFUSED = 'sightline_bridge_refused_events_total'
const DEGRADED = 'sightline_bridge_quota_degraded_events_total'

/**
 * The receiver's quota gate: a batch is admitted or refused whole — the edge may have merged
 * several clients' requests into it, and each is answered with the batch's one outcome — so
 * the check is all-or-nothing and a refused batch charges the site nothing. Counters that do
 * not answer admit the batch (fail open): each such event is counted, and the switch into
 * and out of that state is logged once, not per batch.
 */
export function siteQuotaGate(quota: SiteQuota, metrics: Counters, log?: LogFn) {
  metrics.describe(REFUSED, 'Events the receiver refused before the stream, by site and reason (error code)')
  metrics.describe(DEGRADED, 'Events let through without a quota check: the quota counters did not answer')
  let degraded = false

  return async function admit(siteId: string, events: number, now: number): Promise<Admission> {
    const decision = await checkSiteQuota(quota.counters, {
      siteId,
      eventsPerMinute: quota.eventsPerMinute(siteId),
      cost: events,
      now,
      allOrNothing: true,
    })
    if (decision.degraded !== degraded) {
      degraded = decision.degraded
      if (degraded) log?.('warn', 'quota counters unreachable: admitting batches unchecked', { site: siteId })
      else log?.('info', 'quota counters answer again', { site: siteId })
    }
    if (decision.degraded) metrics.inc(DEGRADED, { site: siteId }, events)
    if (decision.allowed) {
      return { ok: true, refund: () => refundSiteQuota(quota.counters, { siteId, decision, now }) }
    }
    metrics.inc(REFUSED, { site: siteId, reason: 'site_quota_exceeded' }, events)
    return {
      ok: false,
      message: `site ${siteId} is over its quota of ${decision.limit} events per minute; nothing of this batch was stored`,
      retryAfterS: decision.retryAfterSeconds,
    }
  }
}
