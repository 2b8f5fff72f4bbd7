import { describe, expect, it } from 'vitest'
import { dedupKey, memoryDedup, recordSource } from '../src/index.ts'

// What only the in-process twin has: an injectable clock and a key bound.
describe('memoryDedup', () => {
  it('forgets keys after the window on its own clock', async () => {
    let t = 0
    const store = memoryDedup({ windowMs: 800, now: () => t })
    await store.remember(['k'])
    t = 700
    expect((await store.claim([{ key: 'k', source: 'x/0/1' }])).size).toBe(0)
    t = 2000
    expect((await store.claim([{ key: 'k', source: 'x/0/1' }])).size).toBe(1)
  })
  it('stays within its key bound by dropping the oldest generation', async () => {
    let t = 0
    const store = memoryDedup({ windowMs: 8000, maxKeys: 3, now: () => t })
    await store.remember(['a', 'b'])
    t = 1500
    await store.remember(['c', 'd'])
    expect(await store.size()).toBeLessThanOrEqual(3)
    expect((await store.claim([{ key: 'd', source: recordSource('t', 0, 1) }])).size).toBe(0)
  })
  it('counts a key once when a later generation marks it loaded', async () => {
    let t = 0
    const store = memoryDedup({ windowMs: 8000, now: () => t })
    await store.claim([{ key: dedupKey('s', 'a'), source: recordSource('t', 0, 1) }])
    t = 1500
    await store.remember([dedupKey('s', 'a')])
    expect(await store.size()).toBe(1)
  })
  it('has a distinct epoch per instance, so a restart is visible as lost memory', async () => {
    expect(await memoryDedup().epoch()).not.toBe(await memoryDedup().epoch())
  })
})
