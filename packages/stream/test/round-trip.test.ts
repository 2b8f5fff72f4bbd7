import { describe, expect, it } from 'vitest'
import { segmentLogStream } from '../src/index.ts'
import { consumeN, records, str, tempDir, text } from './helpers.ts'

describe('append and consume', () => {
  it('delivers appended records in order with dense offsets, keys and values intact', async () => {
    const stream = segmentLogStream({ dir: await tempDir() })
    const first = await stream.append('events', [
      { key: 'u1', value: text('a') },
      { value: text('b') },
      { key: '', value: new Uint8Array() },
    ])
    const second = await stream.append('events', records('r', 5))
    expect(first).toEqual({ partition: 0, baseOffset: 0 })
    expect(second).toEqual({ partition: 0, baseOffset: 3 })
    expect(await stream.lag('g', 'events')).toBe(8)

    const { records: got } = await consumeN(stream, { group: 'g', topic: 'events' }, 8)
    expect(got.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(got.slice(0, 3).map((r) => [r.key, str(r.value)])).toEqual([
      ['u1', 'a'],
      [undefined, 'b'],
      ['', ''],
    ])
    expect(got.slice(3).map((r) => str(r.value))).toEqual(['r-0', 'r-1', 'r-2', 'r-3', 'r-4'])
    expect(await stream.lag('g', 'events')).toBe(0)
    await stream.close()
  })

  it('respects maxRecords and maxBytes, but always delivers at least one record', async () => {
    const stream = segmentLogStream({ dir: await tempDir() })
    await stream.append('t', records('x', 10))
    const { batches } = await consumeN(stream, { group: 'g', topic: 't', maxRecords: 4 }, 10)
    expect(batches.map((b) => b.records.length)).toEqual([4, 4, 2])

    await stream.append('b', [{ value: text('aaaaa') }, { value: new Uint8Array(5000) }])
    await stream.append('b', [{ value: text('bbbbb') }, { value: text('ccccc') }, { value: text('ddddd') }])
    const bytes = await consumeN(stream, { group: 'g', topic: 'b', maxBytes: 10 }, 5)
    expect(bytes.batches.map((b) => b.records.map((r) => r.value.byteLength))).toEqual([
      [5],
      [5000],
      [5, 5],
      [5],
    ])
    await stream.close()
  })

  it('wakes a waiting consumer as soon as an append is durable', async () => {
    const stream = segmentLogStream({ dir: await tempDir() })
    const delivered: number[] = []
    let appendedAt = 0
    const arrived = new Promise<void>((resolve) => {
      stream.consume({ group: 'g', topic: 't', maxWaitMs: 0 }, async (batch) => {
        delivered.push(Date.now() - appendedAt, batch.records.length)
        resolve()
      })
    })
    await new Promise((r) => setTimeout(r, 50))
    appendedAt = Date.now()
    await stream.append('t', records('late', 1))
    await arrived
    expect(delivered[1]).toBe(1)
    expect(delivered[0]).toBeLessThan(200)
    await stream.close()
  })

  it('routes a key to the same partition every time when partitioned', async () => {
    const stream = segmentLogStream({ dir: await tempDir(), partitions: 4 })
    const results = await Promise.all(
      ['alice', 'bob', 'carol', 'alice', 'bob', 'carol'].map((key) =>
        stream.append('t', [{ key, value: text(key) }]),
      ),
    )
    expect(results[0]!.partition).toBe(results[3]!.partition)
    expect(results[1]!.partition).toBe(results[4]!.partition)
    expect(results[2]!.partition).toBe(results[5]!.partition)
    const keyless = await Promise.all([0, 1, 2, 3].map(() => stream.append('t', records('k', 1))))
    expect(new Set(keyless.map((r) => r.partition)).size).toBe(4)

    const partitionOfKey = new Map([
      ['alice', results[0]!.partition],
      ['bob', results[1]!.partition],
      ['carol', results[2]!.partition],
    ])
    const { records: got } = await consumeN(stream, { group: 'g', topic: 't' }, 10)
    for (const r of got.filter((r) => r.key !== undefined))
      expect(r.partition).toBe(partitionOfKey.get(r.key!))
    expect(await stream.lag('g', 't')).toBe(0)
    await stream.close()
  })

  it('rejects names that are not safe as file names', async () => {
    const stream = segmentLogStream({ dir: await tempDir() })
    await expect(stream.append('../escape', records('x', 1))).rejects.toThrow(/invalid topic/)
    expect(() => stream.consume({ group: 'a/b', topic: 't' }, async () => {})).toThrow(/invalid group/)
    await stream.close()
  })
})
