import { EncodedRow } from '@sightline/warehouse'
import { describe, expect, it } from 'vitest'
import { insertWatermark } from '../src/adapters/insert-watermark.ts'

// The per-site watermark the live query channel re-runs on, over the same tracking proxy the
// hub puts in front of the writer's warehouse (the inner warehouse just records the calls).
function tracked() {
  const calls: string[] = []
  const inner = {
    insert: async (table: string) => void calls.push(table),
    command: async () => void calls.push('command'),
  }
  const watermark = insertWatermark()
  const sites: (ReadonlySet<string> | undefined)[] = []
  watermark.onCommit((s) => sites.push(s))
  const warehouse = watermark.track(inner as never) as unknown as {
    insert(table: string, rows: readonly object[]): Promise<void>
    command(s: object): Promise<void>
  }
  return { watermark, warehouse, calls, sites }
}

describe('per-site insert watermark', () => {
  it('moves only the sites a load touched, read from plain and pre-encoded rows', async () => {
    const { watermark, warehouse, calls, sites } = tracked()
    const a0 = watermark.forSite('a')
    const b0 = watermark.forSite('b')
    await warehouse.insert('events', [new EncodedRow('{"site_id":"a"}', 'a')])
    expect(calls).toEqual(['events'])
    expect(watermark.forSite('a')).not.toBe(a0)
    expect(watermark.forSite('b')).toBe(b0)
    await warehouse.insert('person_overrides', [{ site_id: 'b' }, { site_id: 'b' }])
    expect(watermark.forSite('b')).not.toBe(b0)
    expect(sites.map((s) => (s ? [...s] : s))).toEqual([['a'], ['b']])
    // The global token (the result cache's) moves on every commit.
    expect(watermark.current()).not.toBe(watermark.forSite('a'))
  })

  it('moves every site on a command or a row without a site, also when the write failed', async () => {
    const { watermark, warehouse, sites } = tracked()
    const before = ['a', 'b'].map((s) => watermark.forSite(s))
    await warehouse.command({ name: 'x', sql: 'SELECT 1' })
    const afterCommand = ['a', 'b'].map((s) => watermark.forSite(s))
    expect(afterCommand[0]).not.toBe(before[0])
    expect(afterCommand[1]).not.toBe(before[1])
    await warehouse.insert('schema_migrations', [{ version: 1 }])
    expect(watermark.forSite('zzz')).toBe(watermark.current())
    expect(sites).toEqual([undefined, undefined])

    const failing = insertWatermark()
    const broken = failing.track({
      insert: async () => {
        throw new Error('engine gone')
      },
    } as never) as unknown as { insert(t: string, r: object[]): Promise<void> }
    const t0 = failing.forSite('a')
    await expect(broken.insert('events', [{ site_id: 'a' }])).rejects.toThrow('engine gone')
    expect(failing.forSite('a')).not.toBe(t0)
  })
})
