import { responseContractProblems } from '@sightline/http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PathsResponse } from '../src/insights/paths.ts'
import { journal } from './journeys.ts'
import { JOURNEY_FROM, JOURNEY_SITE, JOURNEY_TO, journeyBlocks } from './journeys-dataset.ts'
import { type RefGraph, type RefPathsSpec, refPaths } from './reference/paths.ts'
import { inRange } from './reference/web-metrics.ts'
import { type ErrorJson, get, KEY_A, KEY_B, openTestEnv, post, type TestEnv } from './support.ts'

/**
 * Paths over the API: a hand-made case worked out by hand (site_b), and every node and link
 * compared with the plain-TypeScript reference over generated journeys (site_a).
 */

let env: TestEnv
const { generated, shoppers } = journeyBlocks()
const rows = [...generated, ...shoppers]

/**
 * site_b, 2024-05-01. Visits (page paths in order):
 *   v1: / → /pricing → /signup        v2: / → /pricing → /pricing → /docs
 *   v3: / → /docs                     v4: /blog → /pricing        (v5: a bot: / → /admin)
 * v2's second /pricing is a reload; p1 has v1 and, 40 minutes later, v3.
 */
function handMade() {
  const j = journal('site_b')
  const at = (m: number) => new Date(Date.parse('2024-05-01T10:00:00Z') + m * 60_000).toISOString()
  const pages = (device: string, start: number, paths: string[], bot = false) =>
    paths.forEach((path, i) => {
      j.page({ device, at: at(start + i), path, bot })
    })
  pages('p1', 0, ['/', '/pricing', '/signup'])
  pages('p1', 42, ['/', '/docs'])
  pages('p2', 0, ['/', '/pricing', '/pricing', '/docs'])
  pages('p3', 0, ['/blog', '/pricing'])
  pages('bot', 0, ['/', '/admin'], true)
  // 2024-05-03: one visit / → /help → / (25 minutes apart), plus a tracked signup on /.
  const later = (m: number) => new Date(Date.parse('2024-05-03T10:00:00Z') + m * 60_000).toISOString()
  j.page({ device: 'p4', at: later(0), path: '/' })
  j.page({ device: 'p4', at: later(25), path: '/help' })
  j.page({ device: 'p4', at: later(50), path: '/' })
  j.track({ device: 'p4', at: later(51), event: 'signup', properties: { plan: 'pro' } })
  return j.rows()
}

beforeAll(async () => {
  env = await openTestEnv({ seed: false })
  await env.warehouse.insert('events', generated, { dedupToken: 'paths-generated' })
  // A retried write of the same block: nothing may count twice.
  await env.warehouse.insert('events', generated, { dedupToken: 'paths-generated' })
  await env.warehouse.insert('events', shoppers, { dedupToken: 'paths-shoppers' })
  await env.warehouse.insert('events', handMade(), { dedupToken: 'paths-hand' })
})
afterAll(() => env?.close())

async function paths(key: string, site: string, spec: Record<string, unknown>): Promise<PathsResponse> {
  const res = await post(env.app, `/v1/sites/${site}/query`, key, { kind: 'paths', ...spec })
  expect(res.status, await res.clone().text()).toBe(200)
  return (await res.json()) as PathsResponse
}

/** The response in the reference's shape: nodes and links keyed by step and name. */
function asGraph(body: PathsResponse): RefGraph {
  const key = (i: number) => {
    const n = body.nodes[i]!
    return `${n.step}|${n.other ? '*' : n.name}`
  }
  const graph: RefGraph = { units: body.units, nodes: {}, links: {} }
  body.nodes.forEach((n, i) => {
    graph.nodes[key(i)] = { units: n.units, dropoff: n.dropoff, values: n.values }
  })
  for (const l of body.links) graph.links[`${key(l.source)}->${key(l.target)}`] = l.units
  return graph
}

const HAND = { from: '2024-05-01', to: '2024-05-02' }

describe('paths on a hand-made case', () => {
  it('from the visit start: nodes, links and drop-off as counted by hand', async () => {
    const body = await paths(KEY_B, 'site_b', { ...HAND, depth: 3, top: 2 })
    expect(asGraph(body)).toEqual({
      units: 4,
      nodes: {
        '1|/': { units: 3, dropoff: 0, values: 1 },
        '1|/blog': { units: 1, dropoff: 0, values: 1 },
        '2|/pricing': { units: 3, dropoff: 1, values: 1 },
        '2|/docs': { units: 1, dropoff: 1, values: 1 },
        '3|/pricing': { units: 1, dropoff: 1, values: 1 },
        '3|/signup': { units: 1, dropoff: 1, values: 1 },
      },
      links: {
        '1|/->2|/pricing': 2,
        '1|/->2|/docs': 1,
        '1|/blog->2|/pricing': 1,
        '2|/pricing->3|/pricing': 1,
        '2|/pricing->3|/signup': 1,
      },
    })
    // Nodes come step by step, most units first; links point at node indices.
    expect(body.nodes.map((n) => [n.index, n.step, n.name])).toEqual([
      [0, 1, '/'],
      [1, 1, '/blog'],
      [2, 2, '/pricing'],
      [3, 2, '/docs'],
      [4, 3, '/pricing'],
      [5, 3, '/signup'],
    ])
  })

  it('after /pricing with repeats collapsed, top 1 folds the rest into other', async () => {
    const body = await paths(KEY_B, 'site_b', { ...HAND, start: '/pricing', top: 1, collapse_repeats: true })
    // After /pricing: v1 → /signup, v2 → /docs (reload collapsed), v4 ends. Tie at step 2
    // broken by name: /docs is kept, /signup folds into other.
    expect(asGraph(body)).toEqual({
      units: 3,
      nodes: {
        '1|/pricing': { units: 3, dropoff: 1, values: 1 },
        '2|/docs': { units: 1, dropoff: 1, values: 1 },
        '2|*': { units: 1, dropoff: 1, values: 1 },
      },
      links: { '1|/pricing->2|/docs': 1, '1|/pricing->2|*': 1 },
    })
    expect(body.nodes.at(-1)).toMatchObject({ name: null, other: true })
  })

  it('before /docs, per person: p1 crosses two visits', async () => {
    const body = await paths(KEY_B, 'site_b', { ...HAND, end: '/docs', unit: 'person', depth: 10 })
    // p1: / /pricing /signup / /docs → reversed; p2: / /pricing /pricing /docs.
    expect(asGraph(body).links).toEqual({
      '1|/docs->2|/': 1,
      '1|/docs->2|/pricing': 1,
      '2|/->3|/signup': 1,
      '2|/pricing->3|/pricing': 1,
      '3|/signup->4|/pricing': 1,
      '3|/pricing->4|/': 1,
      '4|/pricing->5|/': 1,
    })
  })

  it('events as steps, and bots only when asked', async () => {
    const body = await paths(KEY_B, 'site_b', { ...HAND, step_type: 'event', start: 'pageview', depth: 2 })
    expect(body.start).toBe('$pageview')
    expect(body.units).toBe(4)
    const withBots = await paths(KEY_B, 'site_b', { ...HAND, include_bots: true, depth: 2, top: 10 })
    expect(asGraph(withBots).links['1|/->2|/admin']).toBe(1)
  })
})

describe('filters pick the steps', () => {
  const DAY3 = { from: '2024-05-03', to: '2024-05-04' }
  it('a filtered-out page is not a step but still keeps its visit alive', async () => {
    const body = await paths(KEY_B, 'site_b', {
      ...DAY3,
      filters: [{ dimension: 'page', op: 'is_not', value: '/help' }],
    })
    // / and / 50 minutes apart would be two visits; /help between them keeps them one.
    expect(body.filters).toEqual([{ dimension: 'page', op: 'is_not', value: '/help' }])
    expect(asGraph(body)).toEqual({
      units: 1,
      nodes: { '1|/': { units: 1, dropoff: 0, values: 1 }, '2|/': { units: 1, dropoff: 1, values: 1 } },
      links: { '1|/->2|/': 1 },
    })
  })

  it('property filters on event steps (the GET form carries them as JSON text)', async () => {
    const res = await get(
      env.app,
      `/v1/sites/site_b/paths?from=2024-05-03&to=2024-05-04&step_type=event&filters=${encodeURIComponent(
        JSON.stringify([{ dimension: 'properties.plan', op: 'is', value: 'pro' }]),
      )}`,
      KEY_B,
    )
    expect(res.status, await res.clone().text()).toBe(200)
    expect(asGraph((await res.json()) as PathsResponse)).toEqual({
      units: 1,
      nodes: { '1|signup': { units: 1, dropoff: 1, values: 1 } },
      links: {},
    })
  })
})

describe('paths, against the reference over generated journeys', () => {
  const cases: Array<[string, RefPathsSpec & { includeBots?: boolean }]> = [
    [
      'pages from the visit start',
      { stepType: 'page', unit: 'session', depth: 5, top: 5, collapseRepeats: false },
    ],
    [
      'pages after /pricing, collapsed',
      { stepType: 'page', unit: 'session', start: '/pricing', depth: 10, top: 3, collapseRepeats: true },
    ],
    [
      'pages before /checkout',
      { stepType: 'page', unit: 'session', end: '/checkout', depth: 6, top: 4, collapseRepeats: false },
    ],
    [
      'events per person after purchase',
      { stepType: 'event', unit: 'person', start: 'purchase', depth: 4, top: 1, collapseRepeats: false },
    ],
    [
      'events per person, bots included',
      { stepType: 'event', unit: 'person', depth: 3, top: 2, collapseRepeats: true, includeBots: true },
    ],
    [
      'pages without /pricing, from the visit start',
      {
        stepType: 'page',
        unit: 'session',
        depth: 4,
        top: 3,
        collapseRepeats: false,
        filters: [{ dimension: 'page', op: 'not_contains', value: 'PRICING' }],
      },
    ],
    [
      'events other than page views per person',
      {
        stepType: 'event',
        unit: 'person',
        depth: 4,
        top: 1,
        collapseRepeats: false,
        filters: [{ dimension: 'event', op: 'is_not', value: '$pageview' }],
      },
    ],
  ]
  const from = new Date(JOURNEY_FROM)
  const to = new Date(JOURNEY_TO)
  for (const [name, spec] of cases) {
    it(name, async () => {
      const body = await paths(KEY_A, JOURNEY_SITE, {
        from: JOURNEY_FROM,
        to: JOURNEY_TO,
        include_bots: spec.includeBots ?? false,
        step_type: spec.stepType,
        unit: spec.unit,
        ...(spec.start ? { start: spec.start } : {}),
        ...(spec.end ? { end: spec.end } : {}),
        depth: spec.depth,
        top: spec.top,
        collapse_repeats: spec.collapseRepeats,
        ...(spec.filters ? { filters: spec.filters } : {}),
      })
      const expected = refPaths(inRange(rows, JOURNEY_SITE, from, to, spec.includeBots ?? false), spec)
      expect(expected.units).toBeGreaterThan(20)
      expect(Object.keys(expected.nodes).some((k) => k.endsWith('|*'))).toBe(true)
      expect(asGraph(body)).toEqual(expected)
    })
  }
})

describe('explain', () => {
  it('binds every value from the spec; none reaches the SQL text', async () => {
    const hostile = "/x' OR 1=1 --"
    const res = await post(env.app, '/v1/sites/site_b/query', KEY_B, {
      kind: 'paths',
      ...HAND,
      end: hostile,
      filters: [{ dimension: `properties.${hostile}`, op: 'contains', value: hostile }],
      cohort: { did: { event: `${hostile} cohort` }, from: '2024-04-01', to: '2024-05-01' },
      explain: true,
    })
    const planned = (await res.json()) as { sql: string; params: Record<string, unknown> }
    expect(planned.sql).not.toContain(hostile)
    expect(Object.values(planned.params)).toContain(`${hostile} cohort`)
    expect(planned.params).toMatchObject({ end: hostile, site: 'site_b', depth: 5, top: 5 })
    expect(planned.sql).toContain('AS person')
  })
})

describe('invalid paths specs are refused with 400 invalid_query', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['start and end', { start: '/', end: '/docs' }, 'not both'],
    ['depth 11', { depth: 11 }, 'depth'],
    ['depth 1', { depth: 1 }, 'depth'],
    ['top 0', { top: 0 }, 'top'],
    ['top 51', { top: 51 }, 'top'],
    ['unknown step type', { step_type: 'screen' }, 'step_type'],
    ['unknown unit', { unit: 'device' }, 'unit'],
    ['empty start', { start: '' }, 'start'],
    ['unknown field', { collapse: true }, 'unknown parameter'],
    [
      'visit-dimension filter',
      { filters: [{ dimension: 'channel', op: 'is', value: 'email' }] },
      'event dimension',
    ],
    ['unknown filter op', { filters: [{ dimension: 'page', op: 'like', value: '/' }] }, 'op'],
    ['filters not a list', { filters: 'page=/' }, 'filters'],
    [
      'a cohort whose range is empty',
      { cohort: { did: { event: 'signup' }, from: '2024-05-01', to: '2024-05-01' } },
      'cohort: `from` must be earlier than `to`',
    ],
    ['a cohort without a range', { cohort: { did: { event: 'signup' } } }, 'cohort.from'],
  ]
  for (const [name, spec, message] of cases) {
    it(name, async () => {
      const res = await post(env.app, '/v1/sites/site_b/query', KEY_B, { kind: 'paths', ...HAND, ...spec })
      expect(res.status).toBe(400)
      expect(await responseContractProblems(res)).toEqual([])
      const body = (await res.json()) as ErrorJson
      expect(body.error.code).toBe('invalid_query')
      expect(body.error.message).toContain(message)
    })
  }
})
