import type { EventRow } from '@sightline/warehouse'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PersonResponse } from '../src/http/person-route.ts'
import { loadProductDataset, OTHER_SITE, PRODUCT_SITE, storedRows } from './product-dataset.ts'
import { resolvePersons } from './reference/persons.ts'
import { msOf } from './reference/web-metrics.ts'
import { type ErrorJson, get, KEY_A, KEY_B, openTestEnv, type TestEnv } from './support.ts'

/** GET /v1/sites/:site/persons/:id against the reference identity over the product dataset. */

let env: TestEnv
const all = storedRows()
const persons = resolvePersons(all)

beforeAll(async () => {
  env = await openTestEnv({ seed: false })
  await loadProductDataset(env.warehouse)
})
afterAll(() => env?.close())

const person = (id: string, query = '', site = PRODUCT_SITE, key = KEY_A) =>
  get(env.app, `/v1/sites/${site}/persons/${encodeURIComponent(id)}${query}`, key)

/** The reference's view of a person: its rows newest first (time, then message id). */
function expected(site: string, id: string) {
  const name = persons.personOfId(site, id)
  const rows = all
    .filter((r) => r.site_id === site && persons.personOf(r) === name)
    .sort(
      (a, b) => msOf(b) - msOf(a) || (a.message_id < b.message_id ? 1 : a.message_id > b.message_id ? -1 : 0),
    )
  return { name, ids: persons.idsOf(site, name), rows }
}

const summary = (rows: EventRow[]) => ({
  first_seen: new Date(Math.min(...rows.map(msOf))).toISOString(),
  last_seen: new Date(Math.max(...rows.map(msOf))).toISOString(),
  events_total: rows.length,
})

describe('GET /v1/sites/:site/persons/:id', () => {
  for (const [label, id] of [
    ['Ada by her phone', 'ada-phone'],
    ['Ada by her user id', 'user-ada'],
    ['the alias chain by its first id', 'chain-a'],
    ['the chain by its last id', 'chain-c'],
    ['Grace by her server-side legacy id', 'legacy-42'],
    ['a person of one id', 'gap-30'],
  ] as const) {
    it(`finds ${label}: every id, first/last seen, events newest first`, async () => {
      const res = await person(id, '?limit=200')
      expect(res.status).toBe(200)
      const got = (await res.json()) as PersonResponse
      const want = expected(PRODUCT_SITE, id)
      expect(got).toMatchObject({
        site: PRODUCT_SITE,
        person: want.name,
        ids: want.ids,
        ...summary(want.rows),
      })
      expect(got.events.map((e) => e.message_id)).toEqual(want.rows.map((r) => r.message_id))
      expect(got.next_before).toBeNull()
    })
  }

  it('lists Ada’s three ids and her events from both devices, before either identify too', async () => {
    const got = (await (await person('ada-laptop')).json()) as PersonResponse
    expect(got.ids).toEqual(['ada-laptop', 'ada-phone', 'user-ada'])
    expect(
      got.events.some((e) => e.event === 'signup' && e.anonymous_id === 'ada-phone' && e.user_id === ''),
    ).toBe(true)
    expect(got.events.find((e) => e.event === 'purchase')?.properties).toEqual({
      value: 49,
      plan: 'pro',
      currency: 'USD',
    })
  })

  it('pages through a person’s events with `before`, each exactly once, in order', async () => {
    const want = expected(PRODUCT_SITE, 'ada-phone').rows.map((r) => r.message_id)
    const seen: string[] = []
    let before: string | null = null
    let pages = 0
    do {
      const res = await person('ada-phone', `?limit=2${before ? `&before=${before}` : ''}`)
      expect(res.status).toBe(200)
      const page = (await res.json()) as PersonResponse
      expect(page.events.length).toBeLessThanOrEqual(2)
      seen.push(...page.events.map((e) => e.message_id))
      before = page.next_before
      pages += 1
    } while (before !== null && pages < 50)
    expect(seen).toEqual(want)
    expect(pages).toBe(Math.ceil(want.length / 2))
  })

  it('keeps sites apart: the same id on site_b is another person', async () => {
    const res = await person('ada-phone', '', OTHER_SITE, KEY_B)
    const got = (await res.json()) as PersonResponse
    expect(got.ids).toEqual(expected(OTHER_SITE, 'ada-phone').ids)
    expect(got.ids).toContain('chain-a')
    expect(got.ids).not.toContain('user-ada')
  })

  it('answers 404 not_found for an id nothing is stored under', async () => {
    const res = await person('nobody-at-all')
    expect(res.status).toBe(404)
    expect(((await res.json()) as ErrorJson).error.code).toBe('not_found')
  })

  it('refuses bad paging with 400 invalid_query, and other sites’ keys with 403', async () => {
    for (const query of ['?limit=0', '?limit=201', '?limit=x', '?before=not-a-cursor', '?colour=red']) {
      const res = await person('ada-phone', query)
      expect([query, res.status]).toEqual([query, 400])
      expect(((await res.json()) as ErrorJson).error.code).toBe('invalid_query')
    }
    expect((await person('x'.repeat(201))).status).toBe(400)
    expect((await person('ada-phone', '', PRODUCT_SITE, KEY_B)).status).toBe(403)
    expect((await person('ada-phone', '', PRODUCT_SITE, 'rk_wrong_key_000000000')).status).toBe(401)
  })

  it('answers any id and any paging input with 200, 400 or 404 and the error contract, never a 5xx', async () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 260 })
    await fc.assert(
      fc.asyncProperty(
        text,
        fc.option(fc.oneof(text, fc.integer().map(String))),
        fc.option(text),
        async (id, limit, before) => {
          const query = new URLSearchParams()
          if (limit !== null) query.set('limit', limit)
          if (before !== null) query.set('before', before)
          const res = await person(id === '' ? ' ' : id, `?${query}`)
          expect([200, 400, 404]).toContain(res.status)
          const body = (await res.json()) as Partial<ErrorJson>
          if (res.status !== 200) expect(typeof body.error?.code).toBe('string')
        },
      ),
      { numRuns: 60 },
    )
  })
})
