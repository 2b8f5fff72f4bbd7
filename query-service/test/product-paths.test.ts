import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PathsResponse } from '../src/insights/paths.ts'
import { loadProductDataset, PRODUCT_FROM, PRODUCT_SITE, PRODUCT_TO, storedRows } from './product-dataset.ts'
import { refPaths } from './reference/paths.ts'
import { inRange } from './reference/web-metrics.ts'
import { KEY_A, openTestEnv, post, type TestEnv } from './support.ts'

/**
 * Paths over the shared product dataset (identity merges, alias chains, bots,
 * redeliveries, DST), against the plain-TypeScript references.
 *
 * Who a row's person is: the references take it as a function. Today `personEvents` gives the
 * stored person id, so the comparison uses the same; when it resolves identity merges, this
 * becomes `resolvePersons(rows).personOf` (reference/persons.ts) and nothing else changes.
 */
const rows = storedRows()
const personOf = (r: (typeof rows)[number]) => r.person_id
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

describe('over the product dataset', () => {
  it('paths (pages per visit, depth 5) equal the reference', async () => {
    const body = await ask<PathsResponse>({ kind: 'paths', depth: 5, top: 4 })
    const expected = refPaths(
      inRange(rows, PRODUCT_SITE, from, to),
      { stepType: 'page', unit: 'session', depth: 5, top: 4, collapseRepeats: false },
      personOf,
    )
    expect(expected.units).toBeGreaterThan(50)
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
})
