import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  CHANNELS,
  channelExpression,
  DEFAULT_LISTS,
  DEFAULT_RULES,
} from '../src/insights/channels/channels.ts'
import { compile, param, sql } from '../src/sql/fragment.ts'
import { channelOf } from './reference/web-metrics.ts'
import { openTestEnv, type TestEnv } from './support.ts'

/**
 * The compiled channel grouping, run on chdb over every combination of a set of sources,
 * mediums and referrer hosts, against the reference's branches written from docs/metrics.md.
 */

let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv({ seed: false })
})
afterAll(() => env?.close())

const SOURCES = ['', 'google', 'facebook', 'newsletter', 'youtube', 'partnerco', 'x', 'weird']
const MEDIUMS = [
  '',
  'cpc',
  'paid',
  'display',
  'cpm',
  'affiliate',
  'email',
  'video',
  'organic',
  'social',
  'referral',
  'banner',
  'other',
]
const REFERRERS = [
  '',
  'google.com',
  'news.google.com',
  'notgoogle.com',
  't.co',
  'vimeo.com',
  'blog.example.org',
  'bing.com',
]

const cases = SOURCES.flatMap((s) => MEDIUMS.flatMap((m) => REFERRERS.map((r) => [s, m, r] as const)))

describe('default channel grouping', () => {
  it('loads its rules and lists as data, every rule naming a known channel', () => {
    expect(DEFAULT_RULES.rules.length).toBeGreaterThan(10)
    for (const rule of DEFAULT_RULES.rules) expect(CHANNELS).toContain(rule.channel)
    expect(DEFAULT_LISTS.search.hosts).toContain('google.com')
    expect(DEFAULT_LISTS.social.sources).toContain('facebook')
  })

  it('binds every rule value and list; the SQL text holds none of them', () => {
    const { sql: text, params } = compile(
      channelExpression({ source: sql`s`, medium: sql`m`, referrerHost: sql`r` }),
    )
    for (const word of ['google', 'newsletter', 'paid search', 'cpc']) expect(text).not.toContain(word)
    expect(Object.values(params)).toContainEqual(DEFAULT_LISTS.search.hosts)
    // Each list is bound once however many rules name it.
    expect(Object.keys(params).filter((k) => k.startsWith('search_hosts'))).toEqual(['search_hosts'])
  })

  it(`classifies ${cases.length} source × medium × referrer combinations as the reference does`, async () => {
    const planned =
      compile(sql`SELECT s, m, r, ${channelExpression({ source: sql`s`, medium: sql`m`, referrerHost: sql`r` })} AS channel
FROM (
  SELECT t.1 AS s, t.2 AS m, t.3 AS r
  FROM (SELECT arrayJoin(arrayZip(${param(
    's',
    'Array(String)',
    cases.map((c) => c[0]),
  )}, ${param(
    'm',
    'Array(String)',
    cases.map((c) => c[1]),
  )}, ${param(
    'r',
    'Array(String)',
    cases.map((c) => c[2]),
  )})) AS t)
)`)
    const row = z.object({ s: z.string(), m: z.string(), r: z.string(), channel: z.string() })
    const got = await env.warehouse.query({ name: 'test.channels', ...planned, row }, {})
    expect(got).toHaveLength(cases.length)
    const mismatches = got.filter((g) => g.channel !== channelOf(g.s, g.m, g.r))
    expect(mismatches).toEqual([])
    // Every channel of the grouping is reached by some combination.
    expect(new Set(got.map((g) => g.channel))).toEqual(new Set(CHANNELS))
  })
})
