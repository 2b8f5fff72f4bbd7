// The writer pipelines through the stream's read-ahead (ConsumeOptions.prefetch): these pin
// down that the overlap never changes what is delivered, in which order, or what is committed.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RecordBatch, segmentLogStream } from '@sightline/stream'
import { afterAll, describe, expect, it } from 'vitest'

const root = mkdtempSync(join(tmpdir(), 'prefetch-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const topic = 't'
const value = (i: number) => new TextEncoder().encode(`r${i}`)
const offsets = (b: RecordBatch) => b.records.map((r) => r.offset)

async function filled(n: number) {
  const stream = segmentLogStream({ dir: mkdtempSync(join(root, 's-')), backoffInitialMs: 5 })
  for (let i = 0; i < n; i++) await stream.append(topic, [{ value: value(i) }])
  return stream
}

describe('stream read-ahead (prefetch)', () => {
  it('prepares batch n+1 while batch n is handled, delivers in order, commits everything', async () => {
    const stream = await filled(6)
    const events: string[] = []
    let sawAhead: () => void = () => {}
    const ahead = new Promise<void>((resolve) => {
      sawAhead = resolve
    })
    let failedOnce = false
    const consumer = stream.consume(
      {
        group: 'g',
        topic,
        maxRecords: 2,
        maxWaitMs: 0,
        prefetch: (b) => {
          events.push(`prefetch ${offsets(b)}`)
          sawAhead()
        },
      },
      async (b) => {
        // The first handler only finishes once the next batch was read ahead: proof of overlap.
        if (b.records[0]!.offset === 0) await ahead
        if (b.records[0]!.offset === 2 && !failedOnce) {
          failedOnce = true
          throw new Error('transient')
        }
        events.push(`handle ${offsets(b)}`)
      },
    )
    await expect.poll(() => stream.lag('g', topic), { timeout: 5000 }).toBe(0)
    await consumer.stop()
    const handled = events.filter((e) => e.startsWith('handle'))
    expect(handled).toEqual(['handle 0,1', 'handle 2,3', 'handle 4,5'])
    expect(events.indexOf('prefetch 2,3')).toBeLessThan(events.indexOf('handle 0,1'))
    await stream.close()
  })

  it('does not commit a batch that was only read ahead: it is redelivered after a stop', async () => {
    const stream = await filled(4)
    let readAhead: () => void = () => {}
    const wasReadAhead = new Promise<void>((resolve) => {
      readAhead = resolve
    })
    let open: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    let prefetched: number[] = []
    const handled: number[][] = []
    const first = stream.consume(
      {
        group: 'g',
        topic,
        maxRecords: 2,
        maxWaitMs: 0,
        prefetch: (b) => {
          prefetched = offsets(b)
          readAhead()
        },
      },
      async (b) => {
        handled.push(offsets(b))
        await gate
      },
    )
    await wasReadAhead
    // Stop while the first handler is still running; it then finishes (and commits) its batch.
    const stopped = first.stop()
    open()
    await stopped
    expect(handled).toEqual([[0, 1]])
    expect(prefetched).toEqual([2, 3])
    // Batch 0,1 was handled (committed); 2,3 only read ahead, so it is still owed.
    expect(await stream.lag('g', topic)).toBe(2)
    const again: number[][] = []
    const second = stream.consume({ group: 'g', topic, maxRecords: 2, maxWaitMs: 0 }, async (b) => {
      again.push(offsets(b))
    })
    await expect.poll(() => stream.lag('g', topic), { timeout: 5000 }).toBe(0)
    await second.stop()
    expect(again).toEqual([[2, 3]])
    await stream.close()
  })
})
