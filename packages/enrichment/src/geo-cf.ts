import type { Geo } from '@sightline/contracts'

/** The subset of `request.cf` we read; everything is optional and may be missing or odd. */
export type CfProperties = Record<string, unknown>

export interface CfFacts {
  geo?: Geo
  colo?: string
  asn?: number
  botManagement?: { score?: number; verifiedBot?: boolean }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.slice(0, 200) : undefined
}

function num(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}

/**
 * `wrangler dev` without network access answers `request.cf` with a fixed placeholder
 * (Austin, TX via DFW, ASN 395747, empty AS name). Recognised so a local edge that was
 * not told `TRUST_CF_GEO=false` still does not put every visitor in Texas.
 */
export function isPlaceholderCf(cf: CfProperties): boolean {
  return cf.colo === 'DFW' && cf.asn === 395747 && cf.postalCode === '78701' && cf.asOrganization === ''
}

/**
 * Whether `request.cf` describes the visitor. On Cloudflare it does; in local dev and
 * self-hosted workerd it is absent, a placeholder, or (wrangler's fetched cf.json) the
 * developer's own location — there the bridge's database lookup has to answer instead.
 */
export function cfGeoIsReal(cf: CfProperties | undefined, trustCfGeo: boolean): cf is CfProperties {
  return trustCfGeo && cf !== undefined && str(cf.country) !== undefined && !isPlaceholderCf(cf)
}

/** Geo, colo, ASN and Bot Management facts from `request.cf`, copied field by field. */
export function factsFromCf(cf: CfProperties | undefined): CfFacts {
  if (!cf || typeof cf !== 'object') return {}
  const out: CfFacts = {}
  const colo = str(cf.colo)
  if (colo) out.colo = colo
  const asn = num(cf.asn)
  if (asn !== undefined) out.asn = asn
  const geo: Geo = {}
  const fields: Array<[keyof Geo, unknown]> = [
    ['country', str(cf.country)],
    ['region', str(cf.region)],
    ['city', str(cf.city)],
    ['timezone', str(cf.timezone)],
    ['continent', str(cf.continent)],
    ['latitude', num(cf.latitude)],
    ['longitude', num(cf.longitude)],
    ['asn', asn],
    ['as_org', str(cf.asOrganization)],
  ]
  for (const [key, value] of fields) {
    if (value !== undefined) (geo as Record<string, unknown>)[key] = value
  }
  // XX is Cloudflare's "unknown"; not a place (T1, Tor, is kept: it is a real answer).
  if (geo.country === 'XX') delete geo.country
  if (Object.keys(geo).length > 0) out.geo = geo
  const bm = cf.botManagement
  if (bm && typeof bm === 'object') {
    const score = num((bm as Record<string, unknown>).score)
    const verified = (bm as Record<string, unknown>).verifiedBot
    out.botManagement = {
      ...(score !== undefined ? { score } : {}),
      ...(typeof verified === 'boolean' ? { verifiedBot: verified } : {}),
    }
  }
  return out
}
