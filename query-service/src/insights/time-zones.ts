import names from './time-zones.gen.json' with { type: 'json' }

/**
 * The IANA zone names the warehouse can load, copied from ClickHouse's own `system.time_zones`
 * (scripts/gen-time-zones.ts; a test compares the copy with the engine). A name outside it
 * would only fail inside the query, which used to surface as a retryable 503: `utc` (zone
 * names are case-sensitive) and `+05:30` (offsets are not zones) are refused as input now.
 */
const ZONES: ReadonlySet<string> = new Set(names)

export function isTimeZone(name: string): boolean {
  return ZONES.has(name)
}

export const TIME_ZONE_COUNT = ZONES.size
