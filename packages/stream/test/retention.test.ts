import { describe, expect, it } from 'vitest'
import { segmentLogStream } from '../src/index.ts'
import { consumeN, records, segmentFiles, str, tempDir } from './helpers.ts'

/** 40 single-record appends with 100-byte segments: several sealed segments of a few records each. */
async function fill(dir: string, options: { retentionMs?: number; retentionBytes?: number } = {}) {
  const stream = segmentLogStream({ dir, segmentBytes: 100, retentionMs: 0, ...options })
  for (let i = 0; i < 40; i++) await stream.append('t', records('rec', 1, i))
  return stream
}

/** Joins the group but never commits: its handler always fails. */
async function joinWithoutCommitting(stream: ReturnType<typeof segmentLogStream>, group: string) {
  let failed!: () => void
  const once = new Promise<void>((resolve) => {
    failed = resolve
  })
  const consumer = stream.consume({ group, topic: 't', maxWaitMs: 0 }, async () => {
    failed()
    throw new Error('never done')
  })
  await once
  await consumer.stop()
}

describe('rotation and retention', () => {
  it('rotates at segmentBytes, names files by base offset, and keeps everything while no group exists', async () => {
    const dir = await tempDir()
    const stream = await fill(dir)
    const files = await segmentFiles(dir, 't')
    expect(files.length).toBeGreaterThan(5)
    expect(files[0]).toBe('00000000000000000000.seg')
    await stream.close()
    const reopened = segmentLogStream({ dir, segmentBytes: 100, retentionMs: 0 })
    expect(await reopened.lag('nobody', 't')).toBe(40)
    expect(await segmentFiles(dir, 't')).toEqual(files)
    await reopened.close()
  })

  it('never deletes a segment that some known group has not committed, even across restarts', async () => {
    const dir = await tempDir()
    const stream = await fill(dir)
    const before = await segmentFiles(dir, 't')
    await joinWithoutCommitting(stream, 'slow')
    await consumeN(stream, { group: 'fast', topic: 't' }, 40)
    expect(await segmentFiles(dir, 't')).toEqual(before)
    await stream.close()

    const reopened = segmentLogStream({ dir, segmentBytes: 100, retentionMs: 0 })
    expect(await reopened.lag('slow', 't')).toBe(40)
    expect(await segmentFiles(dir, 't')).toEqual(before)
    // Half-way: only segments that end at or below the slow group's offset may go.
    await consumeN(reopened, { group: 'slow', topic: 't', maxRecords: 20 }, 20)
    const middle = await segmentFiles(dir, 't')
    const firstKept = Number(middle[0]!.slice(0, 20))
    expect(middle.length).toBeLessThan(before.length)
    expect(firstKept).toBeLessThanOrEqual(20)
    const { records: rest } = await consumeN(reopened, { group: 'slow', topic: 't' }, 20)
    expect(rest.map((r) => str(r.value))).toEqual(Array.from({ length: 20 }, (_, i) => `rec-${i + 20}`))
    // Everything committed by both groups: only the active segment is left.
    expect(await segmentFiles(dir, 't')).toEqual([before.at(-1)])
    // A group that shows up later starts at the earliest record still on disk.
    const lastBase = Number(before.at(-1)!.slice(0, 20))
    expect(await reopened.lag('late', 't')).toBe(40 - lastBase)
    await reopened.close()
  })

  it('keeps committed segments until they are past retention', async () => {
    const dir = await tempDir()
    const stream = await fill(dir, { retentionMs: 60 * 60 * 1000 })
    const before = await segmentFiles(dir, 't')
    await consumeN(stream, { group: 'g', topic: 't' }, 40)
    expect(await segmentFiles(dir, 't')).toEqual(before)
    await stream.close()
  })

  it('applies retentionBytes as Kafka does: drop oldest while what remains is still over the limit', async () => {
    const dir = await tempDir()
    const stream = await fill(dir, { retentionMs: 60 * 60 * 1000, retentionBytes: 300 })
    await consumeN(stream, { group: 'g', topic: 't' }, 40)
    const files = await segmentFiles(dir, 't')
    expect(files.length).toBeGreaterThanOrEqual(3)
    expect(files.length).toBeLessThan(8)
    expect(files[0]).not.toBe('00000000000000000000.seg')
    await stream.close()
  })
})
