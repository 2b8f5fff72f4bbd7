import { type RateCounters, slidingWindowCount, type WindowCount } from './counters-port.ts'

export interface QuotaDecision {
  /** Every event of the request fits. */
  allowed: boolean
  /** How many of the request's events fit (a bridge may take these and refuse the rest). */
  accepted: number
  /** Sliding-window estimate of the site's events in the last window, this request's accepted ones included. */
  used: number
  limit: number
  /** When to try again if something was refused (whole seconds, ≥ 1), for `Retry-After`. */
  retryAfterSeconds: number
  /** The counters could not be reached: the decision failed open. */
  degraded: boolean
}

/**
 * Pure: given the window counts *after* `cost` was added, how many of the `cost` events
 * fit under `limit` per window on a sliding-window estimate. Refused events are not the
 * site's usage (the caller gives them back), so a flood does not lock out a site's normal
 * traffic in the next window. With `allOrNothing`, a request that does not fit entirely
 * is refused entirely (`accepted` 0): for callers that cannot take part of a request.
 */
export function decideQuota(
  count: WindowCount,
  request: { limit: number; cost: number; now: number; allOrNothing?: boolean },
): QuotaDecision {
  const { limit, cost, now } = request
  const before = slidingWindowCount(count, now) - cost
  const fits = Math.max(0, Math.min(cost, Math.floor(limit - before)))
  const accepted = request.allOrNothing && fits < cost ? 0 : fits
  const windowEnd = count.windowStart + count.windowMs
  return {
    allowed: accepted === cost,
    accepted,
    used: before + accepted,
    limit,
    retryAfterSeconds: accepted === cost ? 0 : Math.max(1, Math.ceil((windowEnd - now) / 1000)),
    degraded: false,
  }
}

export interface SiteQuotaRequest {
  siteId: string
  /** The site's limit; `undefined` or ≤ 0 means unlimited (no round trip). */
  eventsPerMinute: number | undefined
  /** Events in this request. */
  cost: number
  now?: number
  /** Refuse the whole request when not all of it fits (see decideQuota). */
  allOrNothing?: boolean
}

/** The counter name the quota uses; `events per minute` dashboards read the same one. */
export const EVENTS_COUNTER = 'events'
const MINUTE = 60_000

/**
 * The per-site quota check for the bridge: one round trip when the events fit, two when some
 * are refused (they are given back; with `allOrNothing`, all of the request's). Fails open: with the counters unreachable every event
 * is accepted and `degraded` says so (analytics prefers counting to refusing).
 */
export async function checkSiteQuota(
  counters: RateCounters,
  request: SiteQuotaRequest,
): Promise<QuotaDecision> {
  const now = request.now ?? Date.now()
  const limit = request.eventsPerMinute ?? 0
  const open = { allowed: true, accepted: request.cost, used: 0, limit, retryAfterSeconds: 0 }
  if (limit <= 0 || request.cost <= 0) return { ...open, degraded: false }
  try {
    const count = await counters.add(request.siteId, EVENTS_COUNTER, MINUTE, request.cost, now)
    const decision = decideQuota(count, {
      limit,
      cost: request.cost,
      now,
      allOrNothing: request.allOrNothing ?? false,
    })
    const refused = request.cost - decision.accepted
    if (refused > 0) await counters.add(request.siteId, EVENTS_COUNTER, MINUTE, -refused, now).catch(() => {})
    return decision
  } catch {
    return { ...open, degraded: true }
  }
}

/**
 * Takes back what a check charged, for a request that was then not kept (the bridge could
 * not make it durable, so the edge sends it to another bridge, which charges it again). Pass
 * the check's `now`, so the same window is credited. A check that charged nothing (no limit,
 * degraded) is not refunded. Best effort: a failure leaves the site charged for events it did
 * not get, until the window passes.
 */
export async function refundSiteQuota(
  counters: RateCounters,
  request: { siteId: string; decision: QuotaDecision; now: number },
): Promise<void> {
  const { decision } = request
  if (decision.limit <= 0 || decision.degraded || decision.accepted <= 0) return
  await counters.add(request.siteId, EVENTS_COUNTER, MINUTE, -decision.accepted, request.now).catch(() => {})
}
