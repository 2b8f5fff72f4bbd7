import { describe, expect, it } from 'vitest'
import { type DedupStore, dedupKey, recordSource, withLocalFilter } from '../../src/index.ts'

export type MakeDedup = (options: { windowMs?: number }) => Promise<DedupStore>

const src = (offset: number, partition = 0) => recordSource('events.v1', partition, offset)
const claims = (keys: string[], source: string) => keys.map((key) => ({ key, source }))

/** The behaviour every DedupStore must have; run against the memory twin and Redis alike. */
export function dedupContract(make: MakeDedup): void {
  describe('dedup store contract', () => {
    it('lets each key be claimed once and calls later copies from other records duplicates', async () => {
      const store = await make({})
      await store.epoch()
      const first = await store.claim(claims([dedupKey('s', 'a'), dedupKey('s', 'b')], src(1)))
      expect([...first].sort()).toEqual([dedupKey('s', 'a'), dedupKey('s', 'b')])
      await store.remember([...first])
      const retry = await store.claim(
        claims([dedupKey('s', 'a'), dedupKey('s', 'c'), dedupKey('other', 'a')], src(9)),
      )
      expect([...retry].sort()).toEqual([dedupKey('other', 'a'), dedupKey('s', 'c')].sort())
    })

    it('treats a redelivery of the same record as fresh when the writer died before loading it', async () => {
      const store = await make({})
      await store.epoch()
      const key = dedupKey('s', 'crash')
      expect((await store.claim(claims([key], src(5)))).has(key)).toBe(true)
      // … writer killed here: claimed, never inserted, never marked loaded.
      expect((await store.claim(claims([key], src(5)))).has(key)).toBe(true)
      // The same message_id arriving through another record meanwhile is the duplicate.
      expect((await store.claim(claims([key], src(6)))).has(key)).toBe(false)
      expect((await store.claim(claims([key], src(5, 1)))).has(key)).toBe(false)
    })

    it('calls even the claiming record a duplicate once its keys are loaded', async () => {
      const store = await make({})
      await store.epoch()
      const key = dedupKey('s', 'loaded')
      await store.claim(claims([key], src(7)))
      await store.remember([key])
      expect((await store.claim(claims([key], src(7)))).size).toBe(0)
    })

    it('lets exactly one of two racing claimers from different records win', async () => {
      const store = await make({})
      await store.epoch()
      const keys = Array.from({ length: 200 }, (_, i) => dedupKey('race', `m${i}`))
      const [a, b] = await Promise.all([store.claim(claims(keys, src(1))), store.claim(claims(keys, src(2)))])
      expect(a.size + b.size).toBe(keys.length)
      for (const key of keys) expect(a.has(key) !== b.has(key)).toBe(true)
    })

    it('remembers keys refilled from the warehouse without a claim', async () => {
      const store = await make({})
      await store.epoch()
      await store.remember([dedupKey('s', 'from-clickhouse')])
      expect((await store.claim(claims([dedupKey('s', 'from-clickhouse')], src(3)))).size).toBe(0)
    })

    it('forgets marks after the window, not before', async () => {
      const store = await make({ windowMs: 400 })
      await store.epoch()
      const key = dedupKey('s', 'old')
      await store.claim(claims([key], src(1)))
      await store.remember([key])
      await new Promise((r) => setTimeout(r, 150))
      expect((await store.claim(claims([key], src(2)))).size).toBe(0)
      await new Promise((r) => setTimeout(r, 500))
      expect((await store.claim(claims([key], src(2)))).has(key)).toBe(true)
    })

    it('keeps a stable epoch while it keeps its memory and counts what it holds', async () => {
      const store = await make({})
      const epoch = await store.epoch()
      await store.remember([dedupKey('s', 'x'), dedupKey('s', 'y')])
      await store.claim(claims([dedupKey('s', 'z')], src(1)))
      expect(await store.epoch()).toBe(epoch)
      expect(await store.size()).toBe(3)
    })

    it('answers loaded keys from the local filter without asking the store', async () => {
      const inner = await make({})
      let asked = 0
      const counting: DedupStore = {
        ...inner,
        claim: (e) => {
          asked += e.length
          return inner.claim(e)
        },
      }
      const store = withLocalFilter(counting, { maxKeys: 2 })
      await store.epoch()
      const [a, b, c] = [dedupKey('s', 'la'), dedupKey('s', 'lb'), dedupKey('s', 'lc')]
      await store.claim(claims([a, b, c], src(1)))
      await store.remember([a, b, c])
      asked = 0
      const again = await store.claim(claims([a, b, c], src(2)))
      expect(again.size).toBe(0)
      // b and c were in the filter (bound 2); only a went to the store, which still knew it.
      expect(asked).toBe(1)
    })
  })
}
