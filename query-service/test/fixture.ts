import type { EnrichedEvent, EventType } from '@sightline/contracts'
import { type EventRow, toEventRow } from '@sightline/warehouse'

/**
 * A hand-made week whose answers are worked out below, by hand, independently of the SQL.
 * Range under test: [2024-01-01T00:00Z, 2024-01-04T00:00Z), i.e. three UTC days.
 *
 *   when (UTC)                 site    person  type   event     bot
 *   2023-12-31 23:59:59.999    site_a  dave    page   $pageview       ← just before `from`
 *   2024-01-01 10:00           site_a  alice   page   $pageview
 *   2024-01-01 10:05           site_a  alice   track  signup
 *   2024-01-01 11:00           site_a  bob     page   $pageview
 *   2024-01-01 10:00           site_b  erin    page   $pageview       ← other tenant
 *   2024-01-02 12:00           site_a  crawler page   $pageview  yes  ← the only row on day 2
 *   2024-01-03 03:00           site_a  carol   page   $pageview
 *   2024-01-03 03:10           site_a  carol   track  signup
 *   2024-01-03 23:30           site_a  alice   page   $pageview
 *   2024-01-03 23:59:59.999    site_a  bob     track  purchase
 *   2024-01-04 00:00:00.000    site_a  dave    page   $pageview       ← exactly `to`: excluded
 *
 * site_a in range, bots excluded: 7 events (alice 3, bob 2, carol 2), 4 pageviews
 * (alice 2, bob 1, carol 1), 3 visitors, 5 visits (4 bounces; durations 5 min, 10 min, 0, 0, 0).
 * The previous three days hold dave's one page view (1 visit, a bounce). With bots: 8 events, 5 pageviews, 4 visitors.
 * Daily (UTC): 01 → 3 events / 2 visitors; 02 → 0 / 0 (bot only); 03 → 4 / 3.
 * Daily (America/New_York, UTC−5; buckets start 05:00Z): 12-31 → 0/0; 01-01 → 3/2;
 *   01-02 → 2/1 (carol's 03:00Z is 22:00 the day before); 01-03 → 2/2 (alice, bob).
 * Hourly 2024-01-01 09:00Z–12:00Z: 09 → 0/0, 10 → 2/1, 11 → 1/1.
 * Monthly Dec 2023–Jan 2024: Dec → 1/1 (dave), Jan → 8/4 (the 7 plus dave's 01-04 row).
 * event=signup, daily UTC: 01 → 1/1, 02 → 0/0, 03 → 1/1.
 * site_b in range: 1 event, 1 pageview, 1 visitor.
 */
export const FIXTURE_FROM = '2024-01-01T00:00:00.000Z'
export const FIXTURE_TO = '2024-01-04T00:00:00.000Z'
/** The app's clock: a week after the data, so defaulted ranges would miss it entirely. */
export const FIXTURE_NOW = new Date('2024-01-11T00:00:00.000Z')

type Row = [ts: string, site: string, person: string, type: EventType, event: string, bot?: boolean]

const ROWS: Row[] = [
  ['2023-12-31T23:59:59.999Z', 'site_a', 'dave', 'page', '$pageview'],
  ['2024-01-01T10:00:00.000Z', 'site_a', 'alice', 'page', '$pageview'],
  ['2024-01-01T10:05:00.000Z', 'site_a', 'alice', 'track', 'signup'],
  ['2024-01-01T11:00:00.000Z', 'site_a', 'bob', 'page', '$pageview'],
  ['2024-01-01T10:00:00.000Z', 'site_b', 'erin', 'page', '$pageview'],
  ['2024-01-02T12:00:00.000Z', 'site_a', 'crawler', 'page', '$pageview', true],
  ['2024-01-03T03:00:00.000Z', 'site_a', 'carol', 'page', '$pageview'],
  ['2024-01-03T03:10:00.000Z', 'site_a', 'carol', 'track', 'signup'],
  ['2024-01-03T23:30:00.000Z', 'site_a', 'alice', 'page', '$pageview'],
  ['2024-01-03T23:59:59.999Z', 'site_a', 'bob', 'track', 'purchase'],
  ['2024-01-04T00:00:00.000Z', 'site_a', 'dave', 'page', '$pageview'],
]

function enriched([ts, site, person, type, event, bot = false]: Row, index: number): EnrichedEvent {
  return {
    type,
    event,
    message_id: `fixture-${index}`,
    anonymous_id: `anon-${person}`,
    user_id: '',
    timestamp: ts,
    received_at: ts,
    ts,
    clock_skewed: false,
    site_id: site,
    properties: {},
    traits: {},
    context: type === 'page' ? { page: { url: 'https://example.com/', path: '/' } } : {},
    ingest_path: 'native',
    bot: { is_bot: bot, score: bot ? 1 : 0, reasons: bot ? ['ua_crawler'] : [] },
  }
}

/**
 * Rows go through the writer's own mapping so the fixture matches what production stores.
 * The dates are fixed in 2024 so the answers never move; the table's TTL (ts + retention_days)
 * would otherwise delete them in a background merge mid-test, so retention is stretched (not beyond DateTime's 2106 limit, where the TTL would wrap).
 */
export function fixtureEvents(): EventRow[] {
  return ROWS.map((row, i) => toEventRow(enriched(row, i), { retentionDays: 10_000 }))
}

/** One more stored row in the fixture's shape (for tests that add data after a first answer). */
export function fixtureRow(
  ts: string,
  site: string,
  person: string,
  type: EventType,
  event: string,
  messageId: string,
): EventRow {
  return toEventRow(
    { ...enriched([ts, site, person, type, event], 0), message_id: messageId },
    { retentionDays: 10_000 },
  )
}
