import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { loadProductDataset, OTHER_SITE, PRODUCT_SITE, storedRows } from './product-dataset.ts'
import { resolvePersons } from './reference/persons.ts'
import { openTestEnv, type TestEnv } from './support.ts'

/**
 * The shared dataset loads as the writer would load it, and the identity the writer records
 * (person_overrides) is exactly the reference's union-find, id by id.
 */

let env: TestEnv
const rows = storedRows()
const reference = resolvePersons(rows)

beforeAll(async () => {
  env = await openTestEnv({ seed: false })
  await loadProductDataset(env.warehouse)
})
afterAll(() => env?.close())

const Count = z.object({ c: z.coerce.number() })
const Override = z.object({ site_id: z.string(), id: z.string(), person: z.string() })

describe('the product dataset', () => {
  it('stores each message id once: redeliveries and the retried block are dropped', async () => {
    const [stored] = await env.warehouse.query({
      name: 'test.count',
      sql: 'SELECT count() AS c FROM events',
      row: Count,
    })
    expect(stored?.c).toBe(rows.length)
    const [distinct] = await env.warehouse.query({
      name: 'test.distinct',
      sql: 'SELECT uniqExact(site_id, message_id) AS c FROM events',
      row: Count,
    })
    expect(distinct?.c).toBe(rows.length)
  })

  it('holds the cases it promises', () => {
    const has = (f: (r: (typeof rows)[number]) => boolean) => expect(rows.some(f)).toBe(true)
    has((r) => r.is_bot)
    has((r) => r.type === 'alias' && r.anonymous_id === '')
    has((r) => r.event === 'purchase' && typeof r.properties.value === 'number')
    has((r) => r.utm_source !== '' && r.type === 'page')
    has((r) => r.site_id === OTHER_SITE)
    expect(reference.idsOf(PRODUCT_SITE, reference.personOfId(PRODUCT_SITE, 'chain-c'))).toEqual([
      'chain-a',
      'chain-b',
      'chain-c',
    ])
    expect(reference.idsOf(PRODUCT_SITE, reference.personOfId(PRODUCT_SITE, 'user-grace'))).toEqual([
      'grace-anon',
      'legacy-42',
      'legacy-device',
      'user-grace',
    ])
    expect(reference.personOfId(PRODUCT_SITE, 'ada-phone')).toBe(
      reference.personOfId(PRODUCT_SITE, 'user-ada'),
    )
    expect(reference.personOfId(OTHER_SITE, 'ada-phone')).toBe(reference.personOfId(OTHER_SITE, 'chain-a'))
    expect(reference.personOfId(PRODUCT_SITE, 'ada-phone')).not.toBe(
      reference.personOfId(PRODUCT_SITE, 'chain-a'),
    )
    expect(reference.personOfId(PRODUCT_SITE, 'self-same')).toBe('self-same')
  })
})

describe('person_overrides, as the writer keeps it', () => {
  it('maps every id of every stored row to the reference person', async () => {
    const stored = await env.warehouse.query({
      name: 'test.overrides',
      sql: 'SELECT site_id, id, argMax(person, version) AS person FROM person_overrides GROUP BY site_id, id',
      row: Override,
    })
    const byId = new Map(stored.map((o) => [`${o.site_id}\u0000${o.id}`, o.person]))
    let merged = 0
    for (const r of rows) {
      for (const id of [r.anonymous_id, r.user_id, r.previous_id]) {
        if (id === '') continue
        const expected = reference.personOfId(r.site_id, id)
        const got = byId.get(`${r.site_id}\u0000${id}`) ?? id
        expect(`${id} → ${got}`).toBe(`${id} → ${expected}`)
        if (expected !== id) merged += 1
      }
    }
    expect(merged).toBeGreaterThan(100)
    // Nothing stored that the reference does not know: every row points at a person that
    // points at itself.
    for (const o of stored) expect(byId.get(`${o.site_id}\u0000${o.person}`)).toBe(o.person)
  })
})
