import type { EnrichedEvent, Geo } from '@sightline/contracts'

type EdgeFields = Pick<EnrichedEvent, 'geo' | 'edge'>

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

function num(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}

/**
 * What Cloudflare already tells us about the request (`request.cf`), copied as-is when
 * present. Full enrichment (device, bot verdict, geo fallback) is a separate step.
 */
export function edgeFields(cf: Record<string, unknown> | undefined): EdgeFields {
  if (!cf) return {}
  const out: EdgeFields = {}
  const colo = str(cf.colo)
  if (colo) out.edge = { colo }
  const geo: Geo = {}
  const fields: Array<[keyof Geo, unknown]> = [
    ['country', str(cf.country)],
    ['region', str(cf.region)],
    ['city', str(cf.city)],
    ['timezone', str(cf.timezone)],
    ['continent', str(cf.continent)],
    ['latitude', num(cf.latitude)],
    ['longitude', num(cf.longitude)],
    ['asn', num(cf.asn)],
    ['as_org', str(cf.asOrganization)],
  ]
  for (const [key, value] of fields) {
    if (value !== undefined) (geo as Record<string, unknown>)[key] = value
  }
  if (Object.keys(geo).length > 0) out.geo = geo
  return out
}
