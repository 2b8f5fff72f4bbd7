import type { Bridge } from './config.ts'

/** Where the client is, as Cloudflare tells us; both absent when self-hosted or local. */
export interface RequestPlace {
  /** Continent code from `request.cf.continent`: AF, AN, AS, EU, NA, OC, SA. */
  continent?: string
  /** IATA code of the Cloudflare data centre from `request.cf.colo`. */
  colo?: string
}

export function requestPlace(request: Request): RequestPlace {
  const cf = (request as Request & { cf?: Record<string, unknown> }).cf
  const place: RequestPlace = {}
  if (typeof cf?.continent === 'string' && cf.continent) place.continent = cf.continent.toUpperCase()
  if (typeof cf?.colo === 'string' && cf.colo) place.colo = cf.colo.toUpperCase()
  return place
}

/** A bridge serves a place when its `near` list names the colo or continent (or, without a list, its region does). */
export function isNear(bridge: Bridge, place: RequestPlace): boolean {
  const near = bridge.near?.map((n) => n.toUpperCase()) ?? [bridge.region.toUpperCase()]
  return (
    (place.colo !== undefined && near.includes(place.colo)) ||
    (place.continent !== undefined && near.includes(place.continent))
  )
}

/**
 * Which bridges failed recently, per isolate. Shared state across isolates (a DO, KV) would
 * put a round trip in front of every batch to save at most one failed attempt per isolate
 * per period; an isolate finds out for itself at the cost of one timeout.
 */
export class BridgeHealth {
  private readonly downUntil = new Map<string, number>()

  /** 30 s: long enough to stop paying a timeout on every batch, short enough to notice recovery. */
  constructor(readonly unhealthyForMs = 30_000) {}

  isHealthy(bridge: Bridge, now: number): boolean {
    const until = this.downUntil.get(bridge.url)
    if (until === undefined) return true
    if (until > now) return false
    this.downUntil.delete(bridge.url)
    return true
  }

  markFailed(bridge: Bridge, now: number): void {
    this.downUntil.set(bridge.url, now + this.unhealthyForMs)
  }

  markOk(bridge: Bridge): void {
    this.downUntil.delete(bridge.url)
  }

  /**
   * Try order: healthy bridges near the client, other healthy bridges, then the unhealthy
   * ones — last, never left out, because a 503 while some bridge might take the batch
   * breaks the delivery contract for nothing. Priority decides within each group.
   */
  order(bridges: readonly Bridge[], place: RequestPlace, now: number): Bridge[] {
    const rank = (b: Bridge) => (this.isHealthy(b, now) ? 0 : 2) + (isNear(b, place) ? 0 : 1)
    return bridges
      .map((bridge, index) => ({ bridge, index, rank: rank(bridge) }))
      .sort((a, b) => a.rank - b.rank || a.bridge.priority - b.bridge.priority || a.index - b.index)
      .map((x) => x.bridge)
  }
}
