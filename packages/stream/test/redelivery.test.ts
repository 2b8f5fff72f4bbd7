import { describe, expect, it } from 'vitest'
import { segmentLogStream } from '../src/index.ts'
import { records, tempDir } from './helpers.ts'

describe('handler failure', () => {
  it('redelivers the same batch after a backoff until the handler succeeds, never skipping', async () => {
    const errors: unknown[] = []
    const stream = segmentLogStream({
      dir: await tempDir(),
      backoffInitialMs: 5,
      onError: (err) => errors.push(err),
    })
    await stream.append('t', records('r', 6))
    const deliveries: { offsets: number[]; at: number }[] = []
    let failuresLeft = 3
    let resolveDone!: () => void
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve
    })
    const consumer = stream.consume(
      { group: 'g', topic: 't', maxRecords: 3, maxWaitMs: 0 },
      async (batch) => {
        deliveries.push({ offsets: batch.records.map((r) => r.offset), at: Date.now() })
        if (batch.records[0]!.offset === 3 && failuresLeft-- > 0) throw new Error('sink down')
        if (batch.records.at(-1)!.offset === 5) resolveDone()
      },
    )
    await done
    // stop() lets the finished batch commit before it resolves.
    await consumer.stop()
    expect(deliveries.map((d) => d.offsets)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [3, 4, 5],
      [3, 4, 5],
      [3, 4, 5],
    ])
    expect(errors).toHaveLength(3)
    // Exponential: 5, 10, 20 ms between attempts (timers may fire late, never early).
    const gaps = deliveries.slice(1).map((d, i, all) => (i === 0 ? 0 : d.at - all[i - 1]!.at))
    expect(gaps[1]).toBeGreaterThanOrEqual(4)
    expect(gaps[3]).toBeGreaterThanOrEqual(19)
    expect(await stream.lag('g', 't')).toBe(0)
    await stream.close()
  })

  it('does not commit a failed batch when stopped during backoff', async () => {
    const dir = await tempDir()
    const stream = segmentLogStream({ dir, backoffInitialMs: 60_000 })
    await stream.append('t', records('r', 2))
    let calls = 0
    const failed = new Promise<void>((resolve) => {
      stream.consume({ group: 'g', topic: 't', maxWaitMs: 0 }, async () => {
        calls++
        resolve()
        throw new Error('sink down')
      })
    })
    await failed
    const started = Date.now()
    await stream.close()
    // close() interrupts the 60 s backoff instead of waiting it out.
    expect(Date.now() - started).toBeLessThan(1000)
    expect(calls).toBe(1)
    const reopened = segmentLogStream({ dir })
    expect(await reopened.lag('g', 't')).toBe(2)
    await reopened.close()
  })
})
