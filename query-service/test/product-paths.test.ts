import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PathsResponse } from '../src/insights/paths.ts'
import { loadProductDataset, PRODUCT_FROM, PRODUCT_SITE, PRODUCT_TO, storedRows } from './product-dataset.ts'
import { cohortFilter, type RefCohortFilter } from './reference/funnels.ts'
import { type RefGraph, type RefPathsSpec, refPaths } from './reference/paths.ts'
import { resolvePersons } from './reference/persons.ts'
import { inRange, msOf } from './reference/web-metrics.ts'
import { KEY_A, openTestEnv, post, type TestEnv } from './support.ts'

/**
 * Paths over the shared product dataset (identity merges, alias chains, bots,
 * redeliveries, DST), against the plain-TypeScript references.
 *
 * Who a row's person is: the reference takes it as a function, here the union-find of
 * reference/persons.ts (identity merges resolved, independently of person_overrides).
 */
const rows = storedRows()
const persons = resolvePersons(rows)
const personOf = persons.personOf
const from = new Date(PRODUCT_FROM)
const to = new Date(PRODUCT_TO)

let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv({ seed: false })
  await loadProductDataset(env.warehouse)
})
afterAll(() => env?.close())

async function ask<T>(spec: Record<string, unknown>): Promise<T> {
  const res = await post(env.app, `/v1/sites/${PRODUCT_SITE}/query`, KEY_A, {
    from: PRODUCT_FROM,
    to: PRODUCT_TO,
    ...spec,
  })
  expect(res.status, await res.clone().text()).toBe(200)
  return (await res.json()) as T
}

const cases: Array<[string, Record<string, unknown>, RefPathsSpec]> = [
  [
    'pages per visit, depth 5',
    { depth: 5, top: 4 },
    { stepType: 'page', unit: 'session', depth: 5, top: 4, collapseRepeats: false },
  ],
  // Per person, identity merges decide whose sequence an anonymous signup joins.
  [
    'events per person from signup, depth 5',
    { unit: 'person', step_type: 'event', start: 'signup', depth: 5, top: 3 },
    { stepType: 'event', unit: 'person', start: 'signup', depth: 5, top: 3, collapseRepeats: false },
  ],
  [
    'events per person up to purchase, repeats collapsed',
    { unit: 'person', step_type: 'event', end: 'purchase', depth: 4, top: 3, collapse_repeats: true },
    { stepType: 'event', unit: 'person', end: 'purchase', depth: 4, top: 3, collapseRepeats: true },
  ],
  [
    'pro-plan events per person (a property filter on the steps)',
    {
      unit: 'person',
      step_type: 'event',
      depth: 3,
      top: 2,
      filters: [{ dimension: 'properties.plan', op: 'is', value: 'pro' }],
    },
    {
      stepType: 'event',
      unit: 'person',
      depth: 3,
      top: 2,
      collapseRepeats: false,
      filters: [{ dimension: 'properties.plan', op: 'is', value: 'pro' }],
    },
  ],
  [
    'pages other than /pricing per visit',
    { depth: 4, top: 3, filters: [{ dimension: 'page', op: 'is_not', value: '/pricing' }] },
    {
      stepType: 'page',
      unit: 'session',
      depth: 4,
      top: 3,
      collapseRepeats: false,
      filters: [{ dimension: 'page', op: 'is_not', value: '/pricing' }],
    },
  ],
]

/** The response in the reference's shape: nodes and links keyed by step and name. */
function asGraph(body: PathsResponse): RefGraph {
  const graph: RefGraph = { units: body.units, nodes: {}, links: {} }
  const key = (i: number) => `${body.nodes[i]!.step}|${body.nodes[i]!.other ? '*' : body.nodes[i]!.name}`
  body.nodes.forEach((n, i) => {
    graph.nodes[key(i)] = { units: n.units, dropoff: n.dropoff, values: n.values }
  })
  for (const l of body.links) graph.links[`${key(l.source)}->${key(l.target)}`] = l.units
  return graph
}

describe('paths over the product dataset', () => {
  for (const [name, spec, ref] of cases) {
    it(`${name} equal the reference`, async () => {
      const body = await ask<PathsResponse>({ kind: 'paths', ...spec })
      const expected = refPaths(inRange(rows, PRODUCT_SITE, from, to), ref, personOf)
      expect(expected.units).toBeGreaterThan(10)
      expect(asGraph(body)).toEqual(expected)
    })
  }

  it('merges change the person paths (the comparison would notice stored ids)', () => {
    const ref = cases[1]![2]
    const inside = inRange(rows, PRODUCT_SITE, from, to)
    expect(refPaths(inside, ref, (r) => r.person_id)).not.toEqual(refPaths(inside, ref, personOf))
  })
})

/**
 * A cohort keeps only its persons' events. Signing up in the first local week: Ada signed up
 * anonymously on her phone and did everything else as user-ada, the chain signed up as
 * chain-a and bought as chain-c — members only as merged persons.
 */
describe('paths of a cohort', () => {
  const WEEK_2 = '2024-11-04T00:00:00-05:00'
  const cohort = { did: { event: 'signup' }, from: PRODUCT_FROM, to: WEEK_2 }
  const refCohort: RefCohortFilter = { did: { event: 'signup' }, from, to: new Date(WEEK_2) }
  const member = cohortFilter(rows, PRODUCT_SITE, false, refCohort, personOf)
  const inside = inRange(rows, PRODUCT_SITE, from, to)
  const ofCohort = inside.filter((r) => member(personOf(r)))

  const cohortCases: Array<[string, Record<string, unknown>, RefPathsSpec]> = [
    [
      'events per person',
      { unit: 'person', step_type: 'event', depth: 5, top: 3 },
      { stepType: 'event', unit: 'person', depth: 5, top: 3, collapseRepeats: false },
    ],
    [
      'pages per visit',
      { depth: 4, top: 3 },
      { stepType: 'page', unit: 'session', depth: 4, top: 3, collapseRepeats: false },
    ],
  ]
  for (const [name, spec, ref] of cohortCases) {
    it(`${name} equal the reference over the cohort's persons only`, async () => {
      const body = await ask<PathsResponse>({ kind: 'paths', ...spec, cohort })
      const expected = refPaths(ofCohort, ref, personOf)
      expect(expected.units).toBeGreaterThan(10)
      expect(expected.units).toBeLessThan(refPaths(inside, ref, personOf).units)
      expect(asGraph(body)).toEqual(expected)
    })
  }

  it('a person-property cohort: event paths of the persons on `pro` as of `to`', async () => {
    const has = { property: 'plan', op: 'is', value: 'pro' } as const
    const proOf = cohortFilter(rows, PRODUCT_SITE, false, { has: { ...has, asOf: to } }, personOf)
    const pro = inside.filter((r) => proOf(personOf(r)))
    const [, spec, ref] = cohortCases[0]!
    const expected = refPaths(pro, ref, personOf)
    expect(expected.units).toBeGreaterThan(10)
    expect(expected.units).toBeLessThan(refPaths(inside, ref, personOf).units)
    expect(asGraph(await ask<PathsResponse>({ kind: 'paths', ...spec, cohort: { has } }))).toEqual(expected)
  })

  it('membership is by merged person (the comparison would notice stored ids)', () => {
    const ada = persons.personOfId(PRODUCT_SITE, 'user-ada')
    const signup = inside.find((r) => r.event === 'signup' && personOf(r) === ada)!
    expect(signup.person_id).toBe('ada-phone')
    expect(member(ada)).toBe(true)
    // Ada's events as user-ada count: she signed up under her other id.
    expect(ofCohort.some((r) => r.person_id === 'user-ada' && r.event === 'purchase')).toBe(true)
    const storedMembers = new Set(
      inside.filter((r) => r.event === 'signup' && msOf(r) < Date.parse(WEEK_2)).map((r) => r.person_id),
    )
    const byStoredId = inside.filter((r) => storedMembers.has(r.person_id))
    const ref = cohortCases[0]![2]
    expect(refPaths(byStoredId, ref, personOf)).not.toEqual(refPaths(ofCohort, ref, personOf))
  })
})
