import { describe, expect, it } from 'vitest'
import { segmentLogStream } from '../src/index.ts'
import { consumeN, str, tempDir, text } from './helpers.ts'

describe('concurrent appends', () => {
  it('2,000 concurrent appends are all durable with unique, dense offsets', async () => {
    const dir = await tempDir()
    const stream = segmentLogStream({ dir, segmentBytes: 16 * 1024 })
    const results = await Promise.all(
      Array.from({ length: 2000 }, (_, i) => stream.append('t', [{ value: text(`v${i}`) }])),
    )
    const offsets = results.map((r) => r.baseOffset).sort((a, b) => a - b)
    expect(offsets).toEqual(Array.from({ length: 2000 }, (_, i) => i))
    await stream.close()

    const reopened = segmentLogStream({ dir, segmentBytes: 16 * 1024 })
    const { records } = await consumeN(reopened, { group: 'g', topic: 't', maxRecords: 500 }, 2000)
    const byOffset = new Map(records.map((r) => [r.offset, str(r.value)]))
    for (const [i, r] of results.entries()) expect(byOffset.get(r.baseOffset)).toBe(`v${i}`)
    await reopened.close()
  })

  it('keeps the records of one multi-record append contiguous under concurrency', async () => {
    const stream = segmentLogStream({ dir: await tempDir(), segmentBytes: 512 })
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        stream.append(
          't',
          Array.from({ length: 5 }, (_, j) => ({ key: `call-${i}`, value: text(`${i}.${j}`) })),
        ),
      ),
    )
    const { records } = await consumeN(stream, { group: 'g', topic: 't' }, 250)
    results.forEach((r, i) => {
      const slice = records.slice(r.baseOffset, r.baseOffset + 5)
      expect(slice.map((x) => str(x.value))).toEqual([0, 1, 2, 3, 4].map((j) => `${i}.${j}`))
    })
    await stream.close()
  })
})
