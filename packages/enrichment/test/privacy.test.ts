import { describe, expect, it } from 'vitest'
import { cookielessVisitorId, dailySalt, hashIp, isPrivateIp, truncateIp, utcDay } from '../src/privacy.ts'

describe('truncateIp', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0'],
    [' 8.8.8.8 ', '8.8.8.0'],
    ['2001:db8:abcd:12:1:2:3:4', '2001:db8:abcd::'],
    ['2001:DB8::1', '2001:db8:0::'],
    ['::ffff:198.51.100.9', '198.51.100.0'],
    ['fe80::1%eth0', 'fe80:0:0::'],
  ])('%s → %s', (ip, want) => expect(truncateIp(ip)).toBe(want))

  it.each([
    '',
    'localhost',
    '1.2.3',
    '256.1.1.1',
    '1.2.3.4.5',
    '1:2:3:4:5:6:7:8:9',
    ':::',
    'g::1',
    '1::2::3',
  ])('refuses %j', (ip) => expect(truncateIp(ip)).toBeUndefined())
})

describe('isPrivateIp', () => {
  it('knows private, loopback and unique-local ranges', () => {
    for (const ip of [
      '10.1.2.3',
      '127.0.0.1',
      '192.168.1.1',
      '172.20.0.1',
      '100.64.0.1',
      '::1',
      'fd00::1',
      '::ffff:10.0.0.1',
    ])
      expect(isPrivateIp(ip)).toBe(true)
    for (const ip of ['8.8.8.8', '172.32.0.1', '2001:4860::8888']) expect(isPrivateIp(ip)).toBe(false)
  })
})

describe('daily salt and cookieless visitor id', () => {
  const day1 = Date.parse('2026-03-01T10:00:00Z')
  const day1Late = Date.parse('2026-03-01T23:59:59Z')
  const day2 = Date.parse('2026-03-02T00:00:01Z')
  const base = { siteId: 'site_a', ip: '203.0.113.7', userAgent: 'UA' }

  it('is the same all day, everywhere, and changes at UTC midnight', async () => {
    expect(utcDay(day1)).toBe('2026-03-01')
    const s1 = await dailySalt('secret', day1)
    expect(await dailySalt('secret', day1Late)).toBe(s1)
    expect(await dailySalt('secret', day2)).not.toBe(s1)
    expect(await dailySalt('other-secret', day1)).not.toBe(s1)

    const id1 = await cookielessVisitorId({ ...base, salt: s1 })
    expect(id1).toMatch(/^[0-9a-f]{64}$/)
    expect(await cookielessVisitorId({ ...base, salt: await dailySalt('secret', day1Late) })).toBe(id1)
    expect(await cookielessVisitorId({ ...base, salt: await dailySalt('secret', day2) })).not.toBe(id1)
  })

  it('differs per site, IP and UA', async () => {
    const salt = await dailySalt('secret', day1)
    const id = await cookielessVisitorId({ ...base, salt })
    expect(await cookielessVisitorId({ ...base, salt, siteId: 'site_b' })).not.toBe(id)
    expect(await cookielessVisitorId({ ...base, salt, ip: '203.0.113.8' })).not.toBe(id)
    expect(await cookielessVisitorId({ ...base, salt, userAgent: 'UA2' })).not.toBe(id)
  })

  it('hashIp is salted', async () => {
    expect(await hashIp('8.8.8.8', 'a')).not.toBe(await hashIp('8.8.8.8', 'b'))
    expect(await hashIp('8.8.8.8', 'a')).toMatch(/^[0-9a-f]{64}$/)
  })
})
