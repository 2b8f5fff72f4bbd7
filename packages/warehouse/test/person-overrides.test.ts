import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type IdentityFields, linkOf, planMerges } from '../src/identity.ts'
import { migrate } from '../src/migrate.ts'
import { applyIdentityLinks, membersOf } from '../src/tables/person-overrides.ts'
import { chdbFixture } from './chdb-fixture.ts'

const fixture = chdbFixture()
afterAll(() => fixture.cleanup())

const identify = (anon: string, user: string, site = 's'): IdentityFields => ({
  site_id: site,
  type: 'identify',
  anonymous_id: anon,
  user_id: user,
})
const alias = (previous: string, user: string, anon = ''): IdentityFields => ({
  site_id: 's',
  type: 'alias',
  anonymous_id: anon,
  user_id: user,
  previous_id: previous,
})

/** Connected components by breadth-first search: a different algorithm from the writer's. */
function components(pairs: Array<[string, string]>): Map<string, string> {
  const next = new Map<string, string[]>()
  for (const [a, b] of pairs) {
    next.set(a, [...(next.get(a) ?? []), b])
    next.set(b, [...(next.get(b) ?? []), a])
  }
  const personOf = new Map<string, string>()
  for (const start of next.keys()) {
    if (personOf.has(start)) continue
    const seen = new Set([start])
    const queue = [start]
    while (queue.length > 0) {
      for (const n of next.get(queue.shift()!) ?? []) {
        if (seen.has(n)) continue
        seen.add(n)
        queue.push(n)
      }
    }
    const name = [...seen].sort()[0]!
    for (const id of seen) personOf.set(id, name)
  }
  return personOf
}

const Row = z.object({ id: z.string(), person: z.string() })

describe('identity links', () => {
  it('come from identify (anonymous ↔ user) and alias (previous → own id), never an id with itself', () => {
    expect(linkOf(identify('a', 'u'))).toEqual({ site: 's', a: 'a', b: 'u' })
    expect(linkOf(identify('a', ''))).toBeUndefined()
    expect(linkOf(identify('u', 'u'))).toBeUndefined()
    expect(linkOf(alias('old', 'new'))).toEqual({ site: 's', a: 'old', b: 'new' })
    expect(linkOf(alias('old', '', 'anon'))).toEqual({ site: 's', a: 'old', b: 'anon' })
    expect(linkOf({ site_id: 's', type: 'track', anonymous_id: 'a', user_id: 'u' })).toBeUndefined()
  })

  it('plan nothing when applied again', () => {
    const links: Array<[string, string]> = [['a', 'b']]
    const first = planMerges(links, { personOf: new Map(), members: new Map() })
    expect(first).toEqual([
      { id: 'a', person: 'a' },
      { id: 'b', person: 'a' },
    ])
    const personOf = new Map(first.map((r) => [r.id, r.person]))
    expect(planMerges(links, { personOf, members: new Map([['a', ['a', 'b']]]) })).toEqual([])
  })
})

describe('applyIdentityLinks on chdb', () => {
  it('merges chains and persons of several ids, in any order and any batching, like connected components', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']
    const pair = fc.tuple(fc.constantFrom(...ids), fc.constantFrom(...ids))
    await fc.assert(
      fc.asyncProperty(
        fc.array(pair, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 4 }),
        async (pairs, size) => {
          const w = await fixture.open()
          await migrate(w)
          const events = pairs.map(([x, y], i) => (i % 2 === 0 ? identify(x, y) : alias(x, y)))
          for (let i = 0; i < events.length; i += size) await applyIdentityLinks(w, events.slice(i, i + size))
          // A redelivery of everything changes nothing.
          expect((await applyIdentityLinks(w, events)).reassigned).toBe(0)
          const stored = await w.query({
            name: 'test.overrides',
            sql: 'SELECT id, argMax(person, version) AS person FROM person_overrides GROUP BY id ORDER BY id',
            row: Row,
          })
          const expected = components(pairs.filter(([x, y]) => x !== y))
          expect(new Map(stored.map((r) => [r.id, r.person]))).toEqual(
            new Map([...expected].sort(([x], [y]) => (x < y ? -1 : 1))),
          )
          await w.close()
        },
      ),
      { numRuns: 12 },
    )
  })

  it('keeps sites apart and lists a person’s members', async () => {
    const w = await fixture.open()
    await migrate(w)
    await applyIdentityLinks(w, [identify('x', 'y', 's1'), identify('y', 'z', 's2')])
    expect(await membersOf(w, 's1', ['x'])).toEqual([
      { id: 'x', person: 'x' },
      { id: 'y', person: 'x' },
    ])
    expect(await membersOf(w, 's2', ['y'])).toEqual([
      { id: 'y', person: 'y' },
      { id: 'z', person: 'y' },
    ])
    // Merging s1's person into a smaller name moves every member.
    await applyIdentityLinks(
      w,
      [alias('w', 'y', '')].map((e) => ({ ...e, site_id: 's1' })),
    )
    expect(await membersOf(w, 's1', ['w'])).toEqual([
      { id: 'w', person: 'w' },
      { id: 'x', person: 'w' },
      { id: 'y', person: 'w' },
    ])
    expect(await membersOf(w, 's1', ['x'])).toEqual([])
  })

  it('stops growing a person at the cap (a bogus shared user id must not swallow the site)', async () => {
    const w = await fixture.open()
    await migrate(w)
    // Every visitor identifies as "null": the first ones merge, then the person is full.
    const visitors = ['v1', 'v2', 'v3', 'v4', 'v5'].map((v) => identify(v, 'null'))
    const results = []
    for (const e of visitors) results.push(await applyIdentityLinks(w, [e], { maxIdsPerPerson: 3 }))
    expect(results.map((r) => r.skipped)).toEqual([0, 0, 1, 1, 1])
    expect((await membersOf(w, 's', ['null'])).map((m) => m.id)).toEqual(['null', 'v1', 'v2'])
    // A link inside the full person, or between two other ids, still applies.
    expect(
      (await applyIdentityLinks(w, [identify('v1', 'v2'), identify('v4', 'v5')], { maxIdsPerPerson: 3 }))
        .skipped,
    ).toBe(0)
    expect((await membersOf(w, 's', ['v4'])).map((m) => m.id)).toEqual(['v4', 'v5'])
  })
})
