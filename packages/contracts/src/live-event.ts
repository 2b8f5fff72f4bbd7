import type { EnrichedEvent } from './event.ts'

/**
 * What the live fan-out carries per accepted event: the few fields the live channels
 * filter and count on, so publishing stays cheap at ingest rates and no subscriber ever
 * sees more of an event than a dashboard tile needs (no IPs, no traits).
 */
export interface LiveEvent {
  event: string
  /** Corrected event time (ISO). */
  ts: string
  /** Who: the user id when known, else the anonymous id. */
  person: string
  path?: string
  /** utm_source when tagged, else the referrer's host; absent = direct. */
  source?: string
  country?: string
  properties: Record<string, unknown>
}

export function toLiveEvent(e: EnrichedEvent): LiveEvent {
  const page = e.context?.page
  const source = e.context?.campaign?.source || referrerHost(page?.referrer)
  return {
    event: e.event,
    ts: e.ts,
    person: e.user_id || e.anonymous_id,
    ...(page?.path ? { path: page.path } : {}),
    ...(source ? { source } : {}),
    ...(e.geo?.country ? { country: e.geo.country } : {}),
    properties: e.properties ?? {},
  }
}

function referrerHost(referrer: string | undefined): string | undefined {
  if (!referrer) return undefined
  try {
    return new URL(referrer).hostname || undefined
  } catch {
    return undefined
  }
}
