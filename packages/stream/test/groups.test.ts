import { describe, expect, it } from 'vitest'
import { segmentLogStream } from '../src/index.ts'
import { consumeN, records, tempDir } from './helpers.ts'

describe('consumer groups', () => {
  it('track offsets and lag independently', async () => {
    const stream = segmentLogStream({ dir: await tempDir() })
    await stream.append('t', records('r', 10))
    await consumeN(stream, { group: 'a', topic: 't' }, 10)
    expect(await stream.lag('a', 't')).toBe(0)
    expect(await stream.lag('b', 't')).toBe(10)
    const { records: b } = await consumeN(stream, { group: 'b', topic: 't', maxRecords: 3 }, 3)
    expect(b.map((r) => r.offset)).toEqual([0, 1, 2])
    expect(await stream.lag('b', 't')).toBe(7)
    await stream.append('t', records('s', 2))
    expect(await stream.lag('a', 't')).toBe(2)
    expect(await stream.lag('b', 't')).toBe(9)
    await stream.close()
  })

  it('keeps topics separate', async () => {
    const stream = segmentLogStream({ dir: await tempDir() })
    await stream.append('one', records('r', 3))
    expect(await stream.append('two', records('r', 1))).toEqual({ partition: 0, baseOffset: 0 })
    expect(await stream.lag('g', 'one')).toBe(3)
    expect(await stream.lag('g', 'two')).toBe(1)
    await stream.close()
  })

  it('refuses a second live member of the same group on the same topic', async () => {
    const stream = segmentLogStream({ dir: await tempDir() })
    const first = stream.consume({ group: 'g', topic: 't' }, async () => {})
    expect(() => stream.consume({ group: 'g', topic: 't' }, async () => {})).toThrow(/already consuming/)
    await first.stop()
    const again = stream.consume({ group: 'g', topic: 't' }, async () => {})
    await again.stop()
    await stream.close()
  })
})
