import { describe, expect, it } from 'vitest'
import { dedupKey, memoryDedup } from '../src/index.ts'

describe('memoryDedup', () => {
  it('reports only keys it has not remembered', async () => {
    const store = memoryDedup()
    await store.remember([dedupKey('s', 'a'), dedupKey('s', 'b')])
    const unseen = await store.unseen([dedupKey('s', 'a'), dedupKey('s', 'c'), dedupKey('other', 'a')])
    expect([...unseen]).toEqual([dedupKey('s', 'c'), dedupKey('other', 'a')])
    expect(await store.size()).toBe(2)
  })
  it('forgets keys after the window, not before', async () => {
    let t = 0
    const store = memoryDedup({ windowMs: 800, now: () => t })
    await store.remember(['k'])
    t = 700
    expect((await store.unseen(['k'])).size).toBe(0)
    t = 2000
    expect((await store.unseen(['k'])).size).toBe(1)
  })
  it('stays within its key bound by dropping the oldest generation', async () => {
    let t = 0
    const store = memoryDedup({ windowMs: 8000, maxKeys: 3, now: () => t })
    await store.remember(['a', 'b'])
    t = 1500
    await store.remember(['c', 'd'])
    expect(await store.size()).toBeLessThanOrEqual(3)
    expect((await store.unseen(['d'])).size).toBe(0)
  })
  it('has a distinct epoch per instance, so a restart is visible as lost memory', async () => {
    expect(await memoryDedup().epoch()).not.toBe(await memoryDedup().epoch())
  })
})
