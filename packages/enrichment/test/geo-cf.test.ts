import { describe, expect, it } from 'vitest'
import { cfGeoIsReal, factsFromCf } from '../src/geo-cf.ts'

const WRANGLER_PLACEHOLDER = {
  asOrganization: '',
  asn: 395747,
  colo: 'DFW',
  city: 'Austin',
  region: 'Texas',
  postalCode: '78701',
  country: 'US',
  continent: 'NA',
  timezone: 'America/Chicago',
  latitude: '30.27130',
  longitude: '-97.74260',
}

describe('geo from request.cf', () => {
  it('copies geo, colo, ASN and bot management, coercing numeric strings', () => {
    const facts = factsFromCf({
      colo: 'AMS',
      country: 'NL',
      city: 'Amsterdam',
      latitude: '52.37',
      longitude: 4.89,
      asn: 1136,
      asOrganization: 'KPN',
      botManagement: { score: 12, verifiedBot: false },
    })
    expect(facts).toEqual({
      colo: 'AMS',
      asn: 1136,
      geo: { country: 'NL', city: 'Amsterdam', latitude: 52.37, longitude: 4.89, asn: 1136, as_org: 'KPN' },
      botManagement: { score: 12, verifiedBot: false },
    })
  })

  it('ignores junk', () => {
    expect(factsFromCf(undefined)).toEqual({})
    expect(factsFromCf({ country: 'XX', latitude: 'north', asn: null })).toEqual({})
  })

  it('trusts cf only when told to and when it is not wrangler’s placeholder', () => {
    expect(cfGeoIsReal({ country: 'NL' }, true)).toBe(true)
    expect(cfGeoIsReal({ country: 'NL' }, false)).toBe(false)
    expect(cfGeoIsReal(undefined, true)).toBe(false)
    expect(cfGeoIsReal({ colo: 'AMS' }, true)).toBe(false)
    expect(cfGeoIsReal(WRANGLER_PLACEHOLDER, true)).toBe(false)
  })
})
