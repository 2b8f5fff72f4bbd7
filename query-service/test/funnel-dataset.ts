import { type EnrichedEvent, type InboundEvent, stampEvent } from '@sightline/contracts'
import { createGenerator } from '@sightline/testing'
import { type EventRow, toEventRow } from '@sightline/warehouse'

/**
 * Generated product traffic over three weeks around the Europe/Berlin DST change
 * (2024-03-31 02:00 CET → 03:00 CEST), plus hand-made funnel and retention edge cases, each
 * commented with the rule it pins down. Funnels under test: $pageview → signup_started →
 * signup_completed (generated), and a → b → c (edge cases below).
 */
export const FUNNEL_SITE = 'site_a'
export const FUNNEL_FROM = '2024-03-25T00:00:00+01:00'
export const FUNNEL_TO = '2024-04-08T00:00:00+02:00'
export const FUNNEL_TZ = 'Europe/Berlin'

const generator = createGenerator({
  seed: 'funnels-retention',
  sites: [FUNNEL_SITE],
  visitors: 250,
  start: new Date('2024-03-24T00:00:00Z'),
  spanMs: 16 * 86_400_000,
  botShare: 0.15,
  identifiedShare: 0.3,
})

let counter = 0
function track(
  device: string,
  at: string,
  event: string,
  properties: Record<string, unknown> = {},
  id?: string,
) {
  return {
    type: 'track',
    event,
    message_id: id ?? `edge-${String(counter++).padStart(4, '0')}`,
    anonymous_id: device,
    timestamp: at,
    properties,
  } as InboundEvent
}

/** Funnel a → b → c; each case names the rule. */
function edgeCases(): InboundEvent[] {
  return [
    // Same millisecond: b does not follow a in `ordered`/`strict` (strictly after), does in any order.
    track('e-same-ms', '2024-03-26T10:00:00.000Z', 'a'),
    track('e-same-ms', '2024-03-26T10:00:00.000Z', 'b'),
    track('e-same-ms', '2024-03-26T10:00:00.001Z', 'c'),
    // Step 1 before `from` (23:00Z) starts no attempt, so its b and c in range count for
    // nothing in order; in any order the b in range starts an attempt.
    track('e-before', '2024-03-24T22:50:00.000Z', 'a'),
    track('e-before', '2024-03-24T23:10:00.000Z', 'b'),
    track('e-before', '2024-03-24T23:20:00.000Z', 'c'),
    // Repeated attempts: the first reaches b, a later one reaches c; the best (later) counts.
    track('e-repeat', '2024-03-27T08:00:00.000Z', 'a'),
    track('e-repeat', '2024-03-27T08:05:00.000Z', 'b'),
    track('e-repeat', '2024-04-02T08:00:00.000Z', 'a'),
    track('e-repeat', '2024-04-02T08:01:00.000Z', 'b'),
    track('e-repeat', '2024-04-02T08:02:00.000Z', 'c'),
    // Strict: an a between b and c breaks the strict chain; ordered still converts.
    track('e-strict', '2024-03-28T09:00:00.000Z', 'a'),
    track('e-strict', '2024-03-28T09:01:00.000Z', 'b'),
    track('e-strict', '2024-03-28T09:02:00.000Z', 'a'),
    track('e-strict', '2024-03-28T09:03:00.000Z', 'c'),
    // Any order: c, b, a converts all three.
    track('e-any', '2024-03-29T09:00:00.000Z', 'c'),
    track('e-any', '2024-03-29T09:01:00.000Z', 'b'),
    track('e-any', '2024-03-29T09:02:00.000Z', 'a'),
    // An exclusion (x) after the start ends that attempt.
    track('e-excl', '2024-03-30T09:00:00.000Z', 'a'),
    track('e-excl', '2024-03-30T09:01:00.000Z', 'x'),
    track('e-excl', '2024-03-30T09:02:00.000Z', 'b'),
    track('e-excl', '2024-03-30T09:03:00.000Z', 'c'),
    // Across the DST jump, exactly the window (1 h) after a: converts (the window is inclusive).
    track('e-dst', '2024-03-31T00:30:00.000Z', 'a', { plan: 'pro' }),
    track('e-dst', '2024-03-31T01:00:00.000Z', 'b'),
    track('e-dst', '2024-03-31T01:30:00.000Z', 'c'),
    // One millisecond past the window: does not reach c.
    track('e-late', '2024-04-01T10:00:00.000Z', 'a', { plan: 'free' }),
    track('e-late', '2024-04-01T10:30:00.000Z', 'b'),
    track('e-late', '2024-04-01T11:00:00.001Z', 'c'),
    // Step 1 in range, later steps after `to`: they count (within the window).
    track('e-after-to', '2024-04-07T21:50:00.000Z', 'a'),
    track('e-after-to', '2024-04-07T22:10:00.000Z', 'b'),
    track('e-after-to', '2024-04-07T22:20:00.000Z', 'c'),
    // Filters on step properties: a with plan=pro only.
    track('e-prop', '2024-04-03T09:00:00.000Z', 'a', { plan: 'pro' }),
    track('e-prop', '2024-04-03T09:10:00.000Z', 'b', { plan: 'pro' }),
  ]
}

function enrich(e: InboundEvent): EnrichedEvent {
  const stamped = stampEvent(e, { siteId: FUNNEL_SITE, receivedAt: e.timestamp!, ingestPath: 'native' })
  const bot = generator.isBot(e)
  const h = [...stamped.anonymous_id].reduce((n, c) => (n * 31 + c.charCodeAt(0)) >>> 0, 7)
  return {
    ...stamped,
    bot: { is_bot: bot, score: bot ? 1 : 0, reasons: bot ? ['ua_crawler'] : [] },
    geo: { country: ['DE', 'US', 'FR', 'JP', 'BR', ''][h % 6]! },
  }
}

/** Generated traffic (load it twice under one dedup token: a retried write) and the edge cases. */
export function funnelBlocks(): { generated: EventRow[]; edges: EventRow[] } {
  const toRow = (e: InboundEvent) => toEventRow(enrich(e), { retentionDays: 10_000 })
  return { generated: generator.events(8_000).map(toRow), edges: edgeCases().map(toRow) }
}
