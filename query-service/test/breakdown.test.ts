import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BreakdownResponse } from '../src/insights/breakdown.ts'
import { breakdownOf, type RefFilter } from './reference/breakdown.ts'
import { inRange } from './reference/web-metrics.ts'
import { get, KEY_A, openTestEnv, post, type TestEnv } from './support.ts'
import { WEB_FROM, WEB_SITE, WEB_TO, webBlocks } from './web-dataset.ts'

/** Breakdowns on chdb against the plain-TypeScript reference over the web-metrics dataset. */

let env: TestEnv
const { generated, edges } = webBlocks()
const rows = inRange([...generated, ...edges], WEB_SITE, new Date(WEB_FROM), new Date(WEB_TO))

beforeAll(async () => {
  env = await openTestEnv({ seed: false })
  await env.warehouse.insert('events', generated, { dedupToken: 'bd-generated' })
  await env.warehouse.insert('events', edges, { dedupToken: 'bd-edges' })
})
afterAll(() => env?.close())

async function query(spec: Record<string, unknown>): Promise<BreakdownResponse> {
  const res = await post(env.app, `/v1/sites/${WEB_SITE}/query`, KEY_A, {
    kind: 'breakdown',
    from: WEB_FROM,
    to: WEB_TO,
    ...spec,
  })
  expect(res.status).toBe(200)
  return (await res.json()) as BreakdownResponse
}

const close = (g: { bounce_rate: number; visit_duration_s: number }) => ({
  ...g,
  bounce_rate: expect.closeTo(g.bounce_rate, 9),
  visit_duration_s: expect.closeTo(g.visit_duration_s, 9),
})

function expectMatches(
  got: BreakdownResponse,
  by: string,
  filters: RefFilter[],
  limit: number,
  offset: number,
) {
  const want = breakdownOf(rows, by, filters, limit, offset)
  expect(got.total_groups).toBe(want.total)
  expect(got.rows).toEqual(want.rows.map(close))
  expect(got.other).toEqual(want.other === null ? null : close(want.other))
}

const DIMENSIONS = [
  'page',
  'entry_page',
  'exit_page',
  'referrer',
  'source',
  'medium',
  'campaign',
  'channel',
  'country',
  'region',
  'city',
  'browser',
  'os',
  'device_type',
  'event',
  'properties.plan',
]

describe('breakdown, against the reference', () => {
  for (const by of DIMENSIONS) {
    it(`by ${by}: top 5, an other row, every number`, async () => {
      const got = await query({ by, limit: 5 })
      expect(got.rows.length).toBeGreaterThan(0)
      expectMatches(got, by, [], 5, 0)
    })
  }

  it('pages through the groups: page 2 of 3-row pages, and a page past the end', async () => {
    expectMatches(await query({ by: 'page', limit: 3, offset: 3 }), 'page', [], 3, 3)
    const past = await query({ by: 'page', limit: 3, offset: 10_000 })
    expect(past.rows).toEqual([])
    expect(past.other).toBeNull()
    expect(past.total_groups).toBe(breakdownOf(rows, 'page', [], 3, 0).total)
  })

  const FILTER_CASES: Array<[string, RefFilter[]]> = [
    ['a visit filter', [{ dimension: 'channel', op: 'is', value: 'organic search' }]],
    ['an event filter', [{ dimension: 'country', op: 'is_not', value: 'DE' }]],
    [
      'visit and event filters ANDed',
      [
        { dimension: 'entry_page', op: 'contains', value: 'BLOG' },
        { dimension: 'page', op: 'not_contains', value: 'pricing' },
      ],
    ],
    ['a custom property filter', [{ dimension: 'properties.plan', op: 'is', value: 'pro' }]],
    ['an RE2 pattern on pages', [{ dimension: 'page', op: 'matches', value: '^/(blog|docs)/[a-z-]+$' }]],
    ['an RE2 pattern on a visit dimension', [{ dimension: 'entry_page', op: 'matches', value: 'pric|sign' }]],
    ['a region', [{ dimension: 'region', op: 'is', value: 'BY' }]],
    ['a city, by pattern', [{ dimension: 'city', op: 'matches', value: '^S' }]],
    ['a numeric comparison on a property', [{ dimension: 'properties.amount', op: 'gte', value: 490 }]],
    [
      'a numeric range on a property',
      [
        { dimension: 'properties.seats', op: 'gt', value: 1 },
        { dimension: 'properties.seats', op: 'lte', value: 3 },
      ],
    ],
    ['a number compared below', [{ dimension: 'properties.amount', op: 'lt', value: 100 }]],
  ]
  for (const [name, filters] of FILTER_CASES) {
    it(`applies ${name}`, async () => {
      const got = await query({ by: 'entry_page', limit: 4, filters })
      expect(got.filters).toEqual(filters)
      // Every case keeps some visits and drops others, so it tests something.
      expect(got.rows.length).toBeGreaterThan(0)
      expect(got.total_groups + (got.other?.visits ?? 0)).toBeGreaterThan(0)
      expectMatches(got, 'entry_page', filters, 4, 0)
    })
  }

  it('takes the same spec as a GET query string, filters as JSON', async () => {
    const filters: RefFilter[] = [{ dimension: 'source', op: 'is_not', value: 'google' }]
    const qs = new URLSearchParams({
      from: WEB_FROM,
      to: WEB_TO,
      by: 'channel',
      limit: '3',
      filters: JSON.stringify(filters),
    })
    const res = await get(env.app, `/v1/sites/${WEB_SITE}/breakdown?${qs}`, KEY_A)
    expect(res.status).toBe(200)
    expectMatches((await res.json()) as BreakdownResponse, 'channel', filters, 3, 0)
  })

  it('refuses an unknown dimension, operator or limit with a 400 naming it', async () => {
    for (const [spec, field] of [
      [{ by: 'planet' }, 'by'],
      [{ by: 'page', filters: [{ dimension: 'page', op: 'like', value: 'x' }] }, 'filters'],
      [{ by: 'page', filters: [{ dimension: 'page', op: 'gt', value: 3 }] }, 'filters.0.op'],
      [{ by: 'page', filters: [{ dimension: 'properties.n', op: 'gt', value: '3' }] }, 'filters.0.value'],
      [{ by: 'page', filters: [{ dimension: 'page', op: 'is', value: 3 }] }, 'filters.0.value'],
      [
        { by: 'page', filters: [{ dimension: 'page', op: 'matches', value: 'x'.repeat(257) }] },
        'filters.0.value',
      ],
      [{ by: 'page', filters: [{ dimension: 'page', op: 'matches', value: '' }] }, 'filters.0.value'],
      // Invalid RE2 (unbalanced, a backreference, a program too large) is the engine's 400.
      [{ by: 'page', filters: [{ dimension: 'page', op: 'matches', value: '(' }] }, 'not valid RE2'],
      [{ by: 'page', filters: [{ dimension: 'page', op: 'matches', value: '(a)\\1' }] }, 'not valid RE2'],
      [
        { by: 'page', filters: [{ dimension: 'page', op: 'matches', value: 'a{1000}{1000}' }] },
        'not valid RE2',
      ],
      [{ by: 'page', limit: 0 }, 'limit'],
      [{ by: 'page', filters: 'not json' }, 'filters'],
    ] as const) {
      const res = await post(env.app, `/v1/sites/${WEB_SITE}/query`, KEY_A, { kind: 'breakdown', ...spec })
      expect(res.status, JSON.stringify(spec)).toBe(400)
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(field)
    }
  })
})
