import { describe, expect, it } from 'vitest'
import { parseConfig } from '../src/config.ts'

describe('config parsing', () => {
  it('accepts JSON strings (from --var / secrets) and sorts bridges by priority', () => {
    const parsed = parseConfig({
      SITES: '[{"site_id":"demo","write_keys":["wk_demo"]}]',
      BRIDGES: [
        { url: 'http://b2.example/', region: 'us', priority: 2 },
        { url: 'http://b1.example', region: 'eu', priority: 1 },
      ],
      SIGNING_KEY_ID: 'k1',
      SIGNING_KEY: 'x'.repeat(32),
    })
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(parsed.config.bridges.map((b) => b.url)).toEqual(['http://b1.example', 'http://b2.example'])
  })

  it('lists every bad field at once', () => {
    const parsed = parseConfig({
      SITES: '[{"site_id":""',
      BRIDGES: [{ url: 'ftp://x', region: 'eu' }],
      SIGNING_KEY: 'short',
    })
    expect(parsed.ok).toBe(false)
    if (parsed.ok) return
    const text = parsed.error.message
    for (const field of ['SITES', 'BRIDGES[0].url', 'BRIDGES[0].priority', 'SIGNING_KEY_ID', 'SIGNING_KEY']) {
      expect(text).toContain(`${field}:`)
    }
  })
})
