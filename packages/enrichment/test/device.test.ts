import { describe, expect, it } from 'vitest'
import { parseDevice } from '../src/device.ts'
import { parseList, parseString } from '../src/structured-headers.ts'

const WIN_CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
const ANDROID_FROZEN =
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36'
const IPAD =
  'Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1'
const MAC_FIREFOX = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0'

const headers = (h: Record<string, string>) => new Headers(h)
const getter = (h: Record<string, string>) => ({ get: (name: string) => h[name] ?? null })

describe('parseDevice from the UA string', () => {
  it('reads desktop Chrome on Windows', () => {
    expect(parseDevice(WIN_CHROME)).toMatchObject({
      browser: 'Chrome',
      browser_version: '124.0.0.0',
      os: 'Windows',
      os_version: '10',
      device_type: 'desktop',
    })
  })

  it('reads a tablet, and spells macOS one way', () => {
    expect(parseDevice(IPAD)).toMatchObject({ os: 'iOS', device_type: 'tablet', device_vendor: 'Apple' })
    expect(parseDevice(MAC_FIREFOX)).toMatchObject({
      browser: 'Firefox',
      os: 'macOS',
      device_type: 'desktop',
    })
  })

  it('labels crawlers as device_type bot', () => {
    expect(
      parseDevice('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)').device_type,
    ).toBe('bot')
    expect(parseDevice('curl/8.5.0').device_type).toBe('bot')
  })

  it('returns an empty device for a missing UA', () => {
    expect(parseDevice(undefined)).toEqual({})
    expect(parseDevice('')).toEqual({})
  })

  it('caches: the same UA and hints give the same frozen object', () => {
    const a = parseDevice(WIN_CHROME)
    expect(parseDevice(WIN_CHROME)).toBe(a)
    expect(Object.isFrozen(a)).toBe(true)
  })
})

describe('client hints win over the frozen UA string', () => {
  it('tells Windows 11 from "Windows NT 10.0"', () => {
    const d = parseDevice(
      WIN_CHROME,
      headers({
        'sec-ch-ua': '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"',
        'sec-ch-ua-mobile': '?0',
        'sec-ch-ua-platform': '"Windows"',
        'sec-ch-ua-platform-version': '"15.0.0"',
      }),
    )
    expect(d).toMatchObject({ browser: 'Chrome', os: 'Windows', os_version: '11', device_type: 'desktop' })
  })

  it('uses the full version list, the model and the real Android version', () => {
    const d = parseDevice(
      ANDROID_FROZEN,
      headers({
        'sec-ch-ua': '"Not)A;Brand";v="99", "Google Chrome";v="124", "Chromium";v="124"',
        'sec-ch-ua-full-version-list': '"Not)A;Brand";v="99.0.0.0", "Google Chrome";v="124.0.6367.82"',
        'sec-ch-ua-mobile': '?1',
        'sec-ch-ua-platform': '"Android"',
        'sec-ch-ua-platform-version': '"14.0.0"',
        'sec-ch-ua-model': '"Pixel 8"',
      }),
    )
    expect(d).toMatchObject({
      browser: 'Chrome',
      browser_version: '124.0.6367.82',
      os: 'Android',
      os_version: '14.0.0',
      device_model: 'Pixel 8',
      device_type: 'mobile',
    })
  })

  it('maps Edge and macOS brands', () => {
    const d = parseDevice(
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0',
      headers({
        'sec-ch-ua': '"Microsoft Edge";v="124", "Chromium";v="124", "Not-A.Brand";v="99"',
        'sec-ch-ua-platform': '"macOS"',
        'sec-ch-ua-platform-version': '"14.4.1"',
      }),
    )
    expect(d).toMatchObject({ browser: 'Edge', os: 'macOS', os_version: '14.4.1' })
  })

  it('never throws on hostile header values and ignores what it cannot read', () => {
    const hostile = [
      '"',
      '\\',
      '";;;;=',
      '"a\u0000b"',
      '"\u00ff"',
      `"${'x'.repeat(100_000)}"`,
      ';v="1", , ,,,',
      '?2',
      '"Google Chrome";v="124";__proto__="x", "Chromium"',
      '(((',
      '-'.repeat(3000),
      '"a"b"c"',
      '9'.repeat(40),
    ]
    for (const value of hostile) {
      // A plain getter: Headers itself refuses some of these values before we ever see them.
      const h = getter({
        'sec-ch-ua': value,
        'sec-ch-ua-full-version-list': value,
        'sec-ch-ua-mobile': value,
        'sec-ch-ua-platform': value,
        'sec-ch-ua-platform-version': value,
        'sec-ch-ua-model': value,
      })
      expect(() => parseDevice(WIN_CHROME, h)).not.toThrow()
      expect(parseDevice(WIN_CHROME, h).browser).toMatch(/Chrome/)
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined() // no prototype pollution
  })
})

describe('structured-header reader', () => {
  it('reads lists with parameters and skips bad members', () => {
    expect(parseList('"A";v="1", garbage x, "B";v="2"').map((i) => i.value)).toEqual(['A', 'B'])
    expect(parseList('"A";v="1"')[0]?.params.v).toBe('1')
    expect(parseString('"Windows"')).toBe('Windows')
    expect(parseString('"Windows", "Linux"')).toBeUndefined()
    expect(parseString('"esc\\"aped"')).toBe('esc"aped')
  })
})
