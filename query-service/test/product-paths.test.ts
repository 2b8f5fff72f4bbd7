import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PathsResponse } from '../src/insights/paths.ts'
import { loadProductDataset, PRODUCT_FROM, PRODUCT_SITE, PRODUCT_TO, storedRows } from './product-dataset.ts'
import { type RefPathsSpec, refPaths } from './reference/paths.ts'
import { resolvePersons } from './reference/persons.ts'
import { inRange } from './reference/web-metrics.ts'
import { KEY_A, openTestEnv, post, type TestEnv } from './support.ts'

/**
 * Paths over the shared product dataset (identity merges, alias chains, bots,
 * redeliveries, DST), against the plain-TypeScript references.
 *
 * Who a row's person is: the reference takes it as a function, here the union-find of
 * reference/persons.ts (identity merges resolved, independently of person_overrides).
 */
const rows = storedRows()
const personOf = resolvePersons(rows).personOf
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

describe('paths over the product dataset', () => {
  for (const [name, spec, ref] of cases) {
    it(`${name} equal the reference`, async () => {
      const body = await ask<PathsResponse>({ kind: 'paths', ...spec })
      const expected = refPaths(inRange(rows, PRODUCT_SITE, from, to), ref, personOf)
      expect(expected.units).toBeGreaterThan(10)
      const graph = {
        units: body.units,
        nodes: {} as Record<string, unknown>,
        links: {} as Record<string, number>,
      }
      const key = (i: number) => `${body.nodes[i]!.step}|${body.nodes[i]!.other ? '*' : body.nodes[i]!.name}`
      body.nodes.forEach((n, i) => {
        graph.nodes[key(i)] = { units: n.units, dropoff: n.dropoff, values: n.values }
      })
      for (const l of body.links) graph.links[`${key(l.source)}->${key(l.target)}`] = l.units
      expect(graph).toEqual(expected)
    })
  }

  it('merges change the person paths (the comparison would notice stored ids)', () => {
    const ref = cases[1]![2]
    const inside = inRange(rows, PRODUCT_SITE, from, to)
    expect(refPaths(inside, ref, (r) => r.person_id)).not.toEqual(refPaths(inside, ref, personOf))
  })
})
