import type { EdgeBatch, EnrichedEvent, Geo } from '@sightline/contracts'

/** The bridge's geo fallback port: an IP (already truncated by the edge) → where it is. */
export interface GeoLookup {
  lookup(ip: string): Geo | undefined
}

const encoder = new TextEncoder()

/**
 * Fills `geo` from the edge's `geo_ip` hint where request.cf could not (local dev,
 * self-hosted workerd, events relayed by a server), then removes the hint so no IP is
 * ever stored. Returns the re-serialised body, or undefined when no event carried a hint:
 * then the signed bytes are appended untouched (the Cloudflare fast path).
 */
export function applyGeoFallback(batch: EdgeBatch, geo: GeoLookup | undefined): Uint8Array | undefined {
  // Event contents are the writer's to judge (DLQ); a non-object here must not throw.
  if (!batch.events.some((e) => typeof e === 'object' && e !== null && e.geo_ip !== undefined))
    return undefined
  // One batch is one client (or one server's few users): lookups repeat.
  const seen = new Map<string, Geo | undefined>()
  batch.events = batch.events.map((event): EnrichedEvent => {
    if (typeof event !== 'object' || event === null) return event
    const { geo_ip: ip, ...rest } = event
    if (ip === undefined || rest.geo || !geo || typeof ip !== 'string') return rest
    let found = seen.get(ip)
    if (!seen.has(ip)) {
      found = safeLookup(geo, ip)
      seen.set(ip, found)
    }
    return found ? { ...rest, geo: found } : rest
  })
  return encoder.encode(JSON.stringify(batch))
}

function safeLookup(geo: GeoLookup, ip: string): Geo | undefined {
  try {
    return geo.lookup(ip)
  } catch {
    // A bad address or a corrupt database costs the event its geo, never the batch.
    return undefined
  }
}
