import { describe, expect, it } from 'vitest'
import { type RecordBatch, segmentLogStream } from '../src/index.ts'
import { sleep, tempDir, text } from './helpers.ts'

// The writer's "insert about once a second under load, at once when quiet" rests on this.
describe('busy wait', () => {
  it('waits longer while records arrive fast, and goes back to the short wait when they stop', async () => {
    const stream = segmentLogStream({ dir: await tempDir() })
    const batches: { records: number; delayMs: number }[] = []
    const appendedAt = new Map<number, number>()
    const consumer = stream.consume(
      { group: 'g', topic: 't', maxWaitMs: 20, busyWait: { bytesPerSec: 50_000, maxWaitMs: 400 } },
      async (batch: RecordBatch) => {
        const last = batch.records.at(-1)!.offset
        batches.push({ records: batch.records.length, delayMs: Date.now() - appendedAt.get(last)! })
      },
    )
    const append = async (value: Uint8Array) => {
      const { baseOffset } = await stream.append('t', [{ value }])
      appendedAt.set(baseOffset, Date.now())
    }
    // Quiet: a few bytes now and then, each delivered on its own.
    for (let i = 0; i < 3; i++) {
      await append(text(`quiet-${i}`))
      await sleep(150)
    }
    const quiet = batches.length
    // Busy: 10 KB every 10 ms, about 1 MB/s, far above 50 KB/s.
    const busyUntil = Date.now() + 1500
    while (Date.now() < busyUntil) {
      await append(new Uint8Array(10_000))
      await sleep(10)
    }
    await sleep(500)
    const busy = batches.slice(quiet)
    // Quiet again: the wait already running (and the one after it, whose rate still counts
    // the busy batch's bytes) may be long; once a read has seen the slow rate it is short.
    for (let i = 0; i < 4; i++) {
      await append(text(`after-${i}`))
      await sleep(300)
    }
    await consumer.stop()
    await stream.close()

    expect(batches.slice(0, quiet).map((b) => b.records)).toEqual([1, 1, 1])
    // With the 20 ms wait alone a batch holds two or three appends; the busy wait gathers ~40.
    expect(Math.max(...busy.map((b) => b.records))).toBeGreaterThanOrEqual(25)
    const after = batches.slice(-2)
    expect(after.map((b) => b.records)).toEqual([1, 1])
    expect(Math.max(...after.map((b) => b.delayMs))).toBeLessThan(250)
  })
})
