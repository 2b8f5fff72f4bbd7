import { IMPLICIT_EVENT_NAMES, type InboundEvent } from '@sightline/contracts'
import { isBotUserAgent } from './catalog/agents.ts'

export interface TrafficCounts {
  events: number
  pageviews: number
  /** Distinct persons: user_id when set, else anonymous_id. */
  uniqueVisitors: number
}

export interface ExpectedCounts extends TrafficCounts {
  /** By normalised event name, as the pipeline stores it ('$pageview', '$identify', 'checkout'…). */
  byEvent: Record<string, number>
  /** Events whose User-Agent is a bot's. */
  bots: number
  /** The same counts with bot events left out — what a bot-filtered dashboard should show. */
  humans: TrafficCounts
}

/**
 * Ground truth computed from the generated events alone, never from the warehouse, so an
 * end-to-end test compares the pipeline against something it cannot have influenced.
 * `filter` narrows the events first (e.g. one site via `gen.siteOf`).
 */
export function expectedCounts(
  events: readonly InboundEvent[],
  filter?: (event: InboundEvent) => boolean,
): ExpectedCounts {
  const byEvent: Record<string, number> = {}
  const all = { events: 0, pageviews: 0, persons: new Set<string>() }
  const humans = { events: 0, pageviews: 0, persons: new Set<string>() }
  let bots = 0
  for (const e of events) {
    if (filter && !filter(e)) continue
    const name = e.type === 'track' ? e.event! : (e.event ?? IMPLICIT_EVENT_NAMES[e.type])
    byEvent[name] = (byEvent[name] ?? 0) + 1
    const person = e.user_id ?? e.anonymous_id ?? ''
    const bot = isBotUserAgent(e.context?.userAgent)
    for (const bucket of bot ? [all] : [all, humans]) {
      bucket.events++
      if (e.type === 'page') bucket.pageviews++
      bucket.persons.add(person)
    }
    if (bot) bots++
  }
  return {
    events: all.events,
    pageviews: all.pageviews,
    uniqueVisitors: all.persons.size,
    byEvent,
    bots,
    humans: { events: humans.events, pageviews: humans.pageviews, uniqueVisitors: humans.persons.size },
  }
}
