import { responseContractProblems } from '@sightline/http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { staticReadKeys } from '../src/adapters/read-keys-file.ts'
import type { AttributionResponse } from '../src/insights/attribution.ts'
import { journal } from './journeys.ts'
import { JOURNEY_FROM, JOURNEY_TO, journeyBlocks } from './journeys-dataset.ts'
import { type RefAttributionSpec, type RefCredit, refAttribution } from './reference/attribution.ts'
import { type ErrorJson, KEY_A, KEY_B, openTestEnv, post, type TestEnv } from './support.ts'

const KEY_GEN = 'rk_test_generated_journeys'

/**
 * Attribution over the API on hand-made journeys whose credit is worked out by hand (the same
 * four conversions as src/insights/attribution-models.test.ts, now as events), and the
 * three-channel Markov example as real visits.
 */

let env: TestEnv
const RANGE = { from: '2024-02-01', to: '2024-02-08' }
const GOOGLE = 'https://www.google.com/'

function handMade() {
  const j = journal('site_a')
  // u1 on two devices: organic search 14 days before, email 7 days before, then a direct
  // visit that converts (value 100). A referral 32 days before is outside the lookback.
  j.page({
    device: 'u1-laptop',
    user: 'u1',
    at: '2024-01-02T10:00:00.000Z',
    path: '/',
    referrer: 'https://blog.example.org/',
  })
  j.page({ device: 'u1-laptop', user: 'u1', at: '2024-01-20T10:00:00.000Z', path: '/', referrer: GOOGLE })
  j.page({
    device: 'u1-phone',
    user: 'u1',
    at: '2024-01-27T10:00:00.000Z',
    path: '/',
    utm: ['newsletter', 'email'],
  })
  j.page({ device: 'u1-phone', user: 'u1', at: '2024-02-03T10:00:00.000Z', path: '/checkout' })
  j.track({
    device: 'u1-phone',
    user: 'u1',
    at: '2024-02-03T10:00:00.000Z',
    event: 'purchase',
    properties: { revenue: 100 },
  })
  // u2: organic search a day before and again when converting; the value is a numeric string.
  j.page({ device: 'u2-d', user: 'u2', at: '2024-02-04T09:00:00.000Z', path: '/', referrer: GOOGLE })
  j.page({ device: 'u2-d', user: 'u2', at: '2024-02-05T09:00:00.000Z', path: '/', referrer: GOOGLE })
  j.track({
    device: 'u2-d',
    user: 'u2',
    at: '2024-02-05T09:00:00.000Z',
    event: 'purchase',
    properties: { revenue: '50' },
  })
  // u3: an email visit that converts, no value.
  j.page({
    device: 'u3-d',
    user: 'u3',
    at: '2024-02-06T12:00:00.000Z',
    path: '/',
    utm: ['newsletter', 'email'],
  })
  j.track({ device: 'u3-d', user: 'u3', at: '2024-02-06T12:05:00.000Z', event: 'purchase' })
  // u4: a server-side purchase (no device, no visit at all): credited to nobody.
  j.track({
    device: '',
    user: 'u4',
    at: '2024-02-07T08:00:00.000Z',
    event: 'purchase',
    properties: { revenue: 10 },
  })
  // Not conversions: a bot's purchase, one before the range, another event name.
  j.page({ device: 'bot-d', at: '2024-02-02T09:00:00.000Z', path: '/', referrer: GOOGLE, bot: true })
  j.track({
    device: 'bot-d',
    at: '2024-02-02T09:01:00.000Z',
    event: 'purchase',
    properties: { revenue: 999 },
    bot: true,
  })
  j.track({
    device: 'u5-d',
    user: 'u5',
    at: '2024-01-31T23:59:59.999Z',
    event: 'purchase',
    properties: { revenue: 7 },
  })
  j.track({
    device: 'u3-d',
    user: 'u3',
    at: '2024-02-06T12:06:00.000Z',
    event: 'refund',
    properties: { revenue: 5 },
  })
  return j.rows()
}

/**
 * The three-channel example of attribution-models.test.ts as visits on site_b:
 * C1 = organic social, C2 = referral, C3 = email. p1: C1 → C2 → C3 → purchase; p2: C1 only;
 * p3: C2 → C3. Removal effects 0.5, 1, 1 → shares 0.2, 0.4, 0.4.
 */
function threeChannels() {
  const j = journal('site_b')
  const c1 = { referrer: 'https://www.facebook.com/' }
  const c2 = { referrer: 'https://blog.example.org/' }
  const c3 = { utm: ['newsletter', 'email'] as [string, string] }
  j.page({ device: 'p1', at: '2024-02-01T10:00:00.000Z', path: '/', ...c1 })
  j.page({ device: 'p1', at: '2024-02-02T10:00:00.000Z', path: '/', ...c2 })
  j.page({ device: 'p1', at: '2024-02-03T10:00:00.000Z', path: '/', ...c3 })
  j.track({ device: 'p1', at: '2024-02-03T10:05:00.000Z', event: 'purchase', properties: { revenue: 90 } })
  j.page({ device: 'p2', at: '2024-02-01T11:00:00.000Z', path: '/', ...c1 })
  j.page({ device: 'p3', at: '2024-02-02T11:00:00.000Z', path: '/', ...c2 })
  j.page({ device: 'p3', at: '2024-02-04T11:00:00.000Z', path: '/', ...c3 })
  // March: a server-side purchase 20 and 24 days after q1's two visits; with a half-life of
  // 0.01 days both raw weights 2^-2000 and 2^-2400 underflow to 0.
  j.page({ device: 'q1-d', user: 'q1', at: '2024-03-01T10:00:00.000Z', path: '/', ...c2 })
  j.page({ device: 'q1-d', user: 'q1', at: '2024-03-05T10:00:00.000Z', path: '/', ...c3 })
  j.track({
    device: '',
    user: 'q1',
    at: '2024-03-25T10:00:00.000Z',
    event: 'purchase',
    properties: { revenue: 30 },
  })
  return j.rows()
}

// The generated journeys live on their own site so the hand-made answers stay exact.
const GENERATED_SITE = 'site_gen'
const { generated, shoppers } = journeyBlocks()
const moved = [...generated, ...shoppers].map((r) => ({ ...r, site_id: GENERATED_SITE }))

beforeAll(async () => {
  env = await openTestEnv({
    seed: false,
    app: {
      keys: staticReadKeys({
        read_keys: [
          { key: KEY_A, sites: ['site_a'] },
          { key: KEY_B, sites: ['site_b'] },
          { key: KEY_GEN, sites: [GENERATED_SITE] },
        ],
      }),
    },
  })
  await env.warehouse.insert('events', [...handMade(), ...threeChannels()], {
    dedupToken: 'attribution-hand',
  })
  await env.warehouse.insert('events', moved, { dedupToken: 'attribution-generated' })
  // A retried write of the same block: nothing may count twice.
  await env.warehouse.insert('events', moved, { dedupToken: 'attribution-generated' })
})
afterAll(() => env?.close())

async function query(key: string, site: string, spec: Record<string, unknown>) {
  return post(env.app, `/v1/sites/${site}/query`, key, { kind: 'attribution', ...RANGE, ...spec })
}

async function attribution(
  key: string,
  site: string,
  spec: Record<string, unknown>,
): Promise<AttributionResponse> {
  const res = await query(key, site, spec)
  expect(res.status, await res.clone().text()).toBe(200)
  return (await res.json()) as AttributionResponse
}

const expected: Record<string, Record<string, [number, number]>> = {
  last_touch: { direct: [1, 100], 'organic search': [1, 50], email: [1, 0], null: [1, 10] },
  first_touch: { 'organic search': [2, 150], email: [1, 0], null: [1, 10] },
  linear: {
    'organic search': [4 / 3, 100 / 3 + 50],
    email: [4 / 3, 100 / 3],
    direct: [1 / 3, 100 / 3],
    null: [1, 10],
  },
  time_decay: {
    'organic search': [8 / 7, 100 / 7 + 50],
    email: [9 / 7, 200 / 7],
    direct: [4 / 7, 400 / 7],
    null: [1, 10],
  },
  position_based: { 'organic search': [1.4, 90], email: [1.2, 20], direct: [0.4, 40], null: [1, 10] },
}

describe('attribution on hand-made journeys', () => {
  it('credits each model as worked out by hand, side by side', async () => {
    const body = await attribution(KEY_A, 'site_a', {
      conversion: { event: 'purchase', value: 'properties.revenue' },
      models: ['last_touch', 'first_touch', 'linear', 'time_decay', 'position_based'],
    })
    expect(body.conversions).toBe(4)
    expect(body.revenue).toBe(160)
    expect(body.results.map((r) => r.model)).toEqual(Object.keys(expected))
    for (const result of body.results) {
      const want = expected[result.model]!
      const got = Object.fromEntries(result.credits.map((c) => [String(c.label), [c.conversions, c.revenue]]))
      expect(Object.keys(got).sort(), result.model).toEqual(Object.keys(want).sort())
      for (const [label, [conversions, revenue]] of Object.entries(want)) {
        expect(got[label]![0], `${result.model} ${label}`).toBeCloseTo(conversions, 9)
        expect(got[label]![1], `${result.model} ${label} revenue`).toBeCloseTo(revenue, 9)
      }
      expect(result.credits.reduce((s, c) => s + c.conversions, 0)).toBeCloseTo(4, 9)
    }
    // The value property may be named with or without `properties.`, as in every goal.
    const bare = await attribution(KEY_A, 'site_a', {
      conversion: { goal: { event: 'purchase', value: 'revenue' } },
      models: ['last_touch', 'first_touch', 'linear', 'time_decay', 'position_based'],
    })
    expect(bare.results).toEqual(body.results)
  })

  it('a goal filter and a shorter lookback change exactly what they should', async () => {
    // Only u1's purchase (the only one with a revenue of 100); lookback 7 days drops the
    // organic-search touch 14 days before but keeps the email one exactly 7 days before.
    const body = await attribution(KEY_A, 'site_a', {
      conversion: {
        event: 'purchase',
        value: 'properties.revenue',
        filters: [{ dimension: 'properties.revenue', op: 'is', value: '100' }],
      },
      models: ['first_touch'],
      lookback_days: 7,
    })
    expect(body.conversions).toBe(1)
    expect(body.results[0]!.credits).toEqual([{ label: 'email', conversions: 1, revenue: 100 }])
  })

  it('labels touches by source, and includes bots only when asked', async () => {
    const bySource = await attribution(KEY_A, 'site_a', {
      conversion: { event: 'purchase' },
      models: ['last_touch'],
      by: 'source',
    })
    expect(bySource.results[0]!.credits.map((c) => [c.label, c.conversions])).toEqual([
      ['', 2],
      ['newsletter', 1],
      [null, 1],
    ])
    const withBots = await attribution(KEY_A, 'site_a', {
      conversion: { event: 'purchase' },
      models: ['last_touch'],
      include_bots: true,
    })
    expect(withBots.conversions).toBe(5)
  })

  it('data_driven below its minimum returns no credit and the reason', async () => {
    const body = await attribution(KEY_A, 'site_a', {
      conversion: { event: 'purchase' },
      models: ['data_driven'],
    })
    expect(body.results[0]).toMatchObject({
      model: 'data_driven',
      available: false,
      conversions: 0,
      credits: [],
    })
    expect(body.results[0]!.reason).toContain('at least 100 conversions')
  })
})

describe('data_driven over real visits', () => {
  it('matches the hand-computed three-channel removal effects', async () => {
    const body = await attribution(KEY_B, 'site_b', {
      conversion: { event: 'purchase', value: 'properties.revenue' },
      models: ['data_driven', 'last_touch'],
      data_driven_min_conversions: 1,
    })
    const [markov, last] = body.results
    expect(markov!.available).toBe(true)
    const effects = Object.fromEntries(markov!.removal_effects!.map((e) => [e.label, e.removal_effect]))
    expect(effects['organic social']).toBeCloseTo(0.5, 12)
    expect(effects.referral).toBeCloseTo(1, 12)
    expect(effects.email).toBeCloseTo(1, 12)
    const credit = Object.fromEntries(markov!.credits.map((c) => [c.label, [c.conversions, c.revenue]]))
    expect(credit['organic social']![0]).toBeCloseTo(0.2, 12)
    expect(credit.referral![0]).toBeCloseTo(0.4, 12)
    expect(credit.email![1]).toBeCloseTo(36, 12)
    expect(last!.credits).toEqual([{ label: 'email', conversions: 1, revenue: 90 }])
  })
})

describe('time decay with a very short half-life', () => {
  it('stays finite and credits the youngest touch when every weight would underflow', async () => {
    const body = await attribution(KEY_B, 'site_b', {
      from: '2024-03-20',
      to: '2024-03-27',
      conversion: { event: 'purchase', value: 'properties.revenue' },
      models: ['time_decay', 'linear'],
      half_life_days: 0.01,
    })
    const [decay, linear] = body.results
    // 4 days = 400 half-lives between the touches: the referral's share is 2^-400 (≈ 4e-121).
    expect(decay!.credits).toHaveLength(2)
    expect(decay!.credits[0]).toEqual({ label: 'email', conversions: 1, revenue: 30 })
    expect(decay!.credits[1]!.label).toBe('referral')
    expect(decay!.credits[1]!.conversions).toBeGreaterThan(0)
    expect(decay!.credits[1]!.conversions).toBeLessThan(1e-100)
    expect(linear!.credits).toEqual([
      { label: 'email', conversions: 0.5, revenue: 15 },
      { label: 'referral', conversions: 0.5, revenue: 15 },
    ])
  })
})

describe('attribution, against the reference over generated journeys', () => {
  const base: RefAttributionSpec = {
    from: new Date(JOURNEY_FROM),
    to: new Date(JOURNEY_TO),
    includeBots: false,
    event: 'purchase',
    valueKey: 'revenue',
    by: 'channel',
    lookbackDays: 30,
    halfLifeDays: 7,
    minConversions: 20,
  }
  const cases: Array<[string, RefAttributionSpec]> = [
    ['by channel, 30 days', base],
    [
      'by campaign, 14 days, half-life 2 days',
      { ...base, by: 'campaign', lookbackDays: 14, halfLifeDays: 2 },
    ],
    ['by source with bots', { ...base, by: 'source', includeBots: true }],
    [
      'by medium, no value, data_driven below its minimum',
      { ...base, by: 'medium', valueKey: undefined, minConversions: 100_000 },
    ],
  ]
  for (const [name, spec] of cases) {
    it(name, async () => {
      const body = await attribution(KEY_GEN, GENERATED_SITE, {
        from: JOURNEY_FROM,
        to: JOURNEY_TO,
        include_bots: spec.includeBots,
        conversion: { event: 'purchase', ...(spec.valueKey ? { value: `properties.${spec.valueKey}` } : {}) },
        by: spec.by,
        lookback_days: spec.lookbackDays,
        half_life_days: spec.halfLifeDays,
        data_driven_min_conversions: spec.minConversions,
      })
      const expected = refAttribution(moved, spec)
      expect(expected.conversions).toBeGreaterThan(40)
      expect(body.conversions).toBe(expected.conversions)
      expect(body.revenue).toBeCloseTo(expected.revenue, 6)
      expect(body.results.map((r) => r.model)).toEqual(Object.keys(expected.models))
      for (const result of body.results) {
        const want: RefCredit = expected.models[result.model]
        if (want === null) {
          expect(result.available, result.model).toBe(false)
          continue
        }
        expect(result.available, result.model).toBe(true)
        const got = Object.fromEntries(
          result.credits.map((c) => [String(c.label), [c.conversions, c.revenue]]),
        )
        expect(Object.keys(got).sort(), result.model).toEqual(Object.keys(want).sort())
        for (const [label, [conversions, revenue]] of Object.entries(want)) {
          expect(got[label]![0], `${result.model} ${label}`).toBeCloseTo(conversions, 6)
          expect(got[label]![1], `${result.model} ${label} revenue`).toBeCloseTo(revenue, 6)
        }
        expect(result.credits.reduce((s, c) => s + c.conversions, 0)).toBeCloseTo(expected.conversions, 6)
      }
    })
  }

  it('the dataset has what the comparison needs', () => {
    const r = refAttribution(moved, base)
    expect(r.models.data_driven).not.toBeNull()
    expect(Object.keys(r.models.last_touch!)).toContain('null')
    expect(moved.some((row) => row.is_bot && row.event === 'purchase')).toBe(true)
    // Persons on several devices.
    const devices = new Map<string, Set<string>>()
    for (const row of moved)
      devices.set(row.person_id, (devices.get(row.person_id) ?? new Set()).add(row.anonymous_id))
    expect([...devices.values()].some((d) => d.size >= 3)).toBe(true)
  })
})

describe('explain', () => {
  it('binds every value from the spec; none reaches the SQL text', async () => {
    const hostile = "x' OR 1=1 --"
    const res = await query(KEY_A, 'site_a', {
      conversion: { event: hostile, value: `properties.${hostile}` },
      models: ['time_decay'],
      cohort: { did: { event: `${hostile} cohort` }, from: '2024-01-01', to: '2024-02-01' },
      explain: true,
    })
    const planned = (await res.json()) as { sql: string; params: Record<string, unknown> }
    expect(planned.sql).not.toContain(hostile)
    expect(Object.values(planned.params)).toContain(`${hostile} cohort`)
    expect(planned.params).toMatchObject({
      goal_event: hostile,
      lookback_ms: 30 * 86_400_000,
      half_life_ms: 7 * 86_400_000,
    })
    // Without data_driven, people who did not convert are not read.
    expect(planned.sql).not.toContain('FULL OUTER JOIN')
  })
})

describe('invalid specs are refused with 400 invalid_query', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['no conversion', {}, 'conversion'],
    ['unknown model', { conversion: { event: 'purchase' }, models: ['u_shaped'] }, 'models'],
    ['a model twice', { conversion: { event: 'purchase' }, models: ['linear', 'linear'] }, 'twice'],
    ['no models', { conversion: { event: 'purchase' }, models: [] }, 'models'],
    ['bad label', { conversion: { event: 'purchase' }, by: 'country' }, 'by'],
    ['lookback too long', { conversion: { event: 'purchase' }, lookback_days: 91 }, 'lookback_days'],
    ['half-life zero', { conversion: { event: 'purchase' }, half_life_days: 0 }, 'half_life_days'],
    [
      'value names no property',
      { conversion: { event: 'purchase', value: 'properties.' }, models: ['linear'] },
      'value',
    ],
    [
      'visit filter in a goal',
      { conversion: { event: 'purchase', filters: [{ dimension: 'channel', op: 'is', value: 'email' }] } },
      'visit dimension',
    ],
    ['unknown goal field', { conversion: { event: 'purchase', revenue: 1 } }, 'revenue'],
    ['empty event', { conversion: { event: '' } }, 'conversion.event'],
    [
      'from after to',
      { conversion: { event: 'purchase' }, from: '2024-02-08', to: '2024-02-01' },
      '`from` must be earlier',
    ],
    [
      'lookback before 1970',
      { conversion: { event: 'purchase' }, from: '1970-01-10', to: '1970-02-01' },
      'lookback',
    ],
    [
      'a cohort whose range ends before it starts',
      {
        conversion: { event: 'purchase' },
        cohort: { did: { event: 'signup' }, from: '2024-02-08', to: '2024-02-01' },
      },
      'cohort: `from` must be earlier than `to`',
    ],
    [
      'a cohort goal with a visit filter',
      {
        conversion: { event: 'purchase' },
        cohort: {
          did: { event: 'signup', filters: [{ dimension: 'channel', op: 'is', value: 'email' }] },
          from: '2024-02-01',
          to: '2024-02-08',
        },
      },
      'cohort.did: `channel` is a visit dimension',
    ],
  ]
  for (const [name, spec, message] of cases) {
    it(name, async () => {
      const res = await post(env.app, '/v1/sites/site_a/query', KEY_A, {
        kind: 'attribution',
        ...RANGE,
        ...spec,
      })
      expect(res.status).toBe(400)
      expect(await responseContractProblems(res)).toEqual([])
      const body = (await res.json()) as ErrorJson
      expect(body.error.code).toBe('invalid_query')
      expect(body.error.message).toContain(message)
    })
  }

  it('the GET form takes the goal as JSON and models as a list', async () => {
    const goal = encodeURIComponent(JSON.stringify({ event: 'purchase' }))
    const res = await env.app.request(
      `/v1/sites/site_a/attribution?from=2024-02-01&to=2024-02-08&conversion=${goal}&models=last_touch,linear`,
      { headers: { authorization: `Bearer ${KEY_A}` } },
    )
    expect(res.status).toBe(200)
    const body = (await res.json()) as AttributionResponse
    expect(body.results.map((r) => r.model)).toEqual(['last_touch', 'linear'])
  })
})
