import { describe, expect, it } from 'vitest'
import { segmentLogStream } from '../src/index.ts'
import { consumeN, records, str, tempDir } from './helpers.ts'

describe('durability across reopen', () => {
  it('resumes from the committed offset and redelivers what was never committed', async () => {
    const dir = await tempDir()
    const first = segmentLogStream({ dir })
    await first.append('t', records('r', 10))
    // Commit the first 4 (one batch), then fail the next batch until the stream is closed.
    let batches = 0
    const consumer = first.consume({ group: 'g', topic: 't', maxRecords: 4, maxWaitMs: 0 }, async (batch) => {
      batches++
      if (batch.records[0]!.offset >= 4) throw new Error('sink down')
    })
    while (batches < 2) await new Promise((r) => setTimeout(r, 5))
    await consumer.stop()
    await first.close()

    const second = segmentLogStream({ dir })
    expect(await second.lag('g', 't')).toBe(6)
    const { records: got } = await consumeN(second, { group: 'g', topic: 't' }, 6)
    expect(got.map((r) => r.offset)).toEqual([4, 5, 6, 7, 8, 9])
    expect(got.map((r) => str(r.value))).toEqual(['r-4', 'r-5', 'r-6', 'r-7', 'r-8', 'r-9'])
    // New appends continue the dense offset sequence.
    expect(await second.append('t', records('s', 2))).toEqual({ partition: 0, baseOffset: 10 })
    await second.close()

    const third = segmentLogStream({ dir })
    expect(await third.lag('g', 't')).toBe(2)
    const { records: rest } = await consumeN(third, { group: 'g', topic: 't' }, 2)
    expect(rest.map((r) => [r.offset, str(r.value)])).toEqual([
      [10, 's-0'],
      [11, 's-1'],
    ])
    await third.close()
  })

  it('reads across segments after reopen, resuming mid-segment', async () => {
    const dir = await tempDir()
    const first = segmentLogStream({ dir, segmentBytes: 200 })
    for (let i = 0; i < 20; i++) await first.append('t', records(`b${i}`, 3))
    await consumeN(first, { group: 'g', topic: 't', maxRecords: 7 }, 7)
    await first.close()

    const second = segmentLogStream({ dir, segmentBytes: 200 })
    const { records: got } = await consumeN(second, { group: 'g', topic: 't', maxRecords: 5 }, 53)
    expect(got.map((r) => r.offset)).toEqual(Array.from({ length: 53 }, (_, i) => i + 7))
    expect(str(got.at(-1)!.value)).toBe('b19-2')
    await second.close()
  })

  it('rejects appends after close', async () => {
    const stream = segmentLogStream({ dir: await tempDir() })
    await stream.append('t', records('r', 1))
    await stream.close()
    await expect(stream.append('t', records('r', 1))).rejects.toThrow(/closed/)
  })
})
