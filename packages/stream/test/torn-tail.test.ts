import { appendFile, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { encodeFrames } from '../src/frame.ts'
import { segmentLogStream } from '../src/index.ts'
import { consumeN, records, segmentFiles, str, tempDir, text } from './helpers.ts'

async function activeSegment(dir: string): Promise<string> {
  return join(dir, 'topics', 't', '0', (await segmentFiles(dir, 't')).at(-1)!)
}

async function reopenAndCheck(dir: string, intactBytes: number): Promise<void> {
  const stream = segmentLogStream({ dir })
  expect(await stream.lag('g', 't')).toBe(5)
  expect((await stat(await activeSegment(dir))).size).toBe(intactBytes)
  expect(await stream.append('t', [{ value: text('after') }])).toEqual({ partition: 0, baseOffset: 5 })
  const { records: got } = await consumeN(stream, { group: 'g', topic: 't' }, 6)
  expect(got.map((r) => str(r.value))).toEqual(['r-0', 'r-1', 'r-2', 'r-3', 'r-4', 'after'])
  await stream.close()
}

async function fiveRecords(dir: string): Promise<number> {
  const stream = segmentLogStream({ dir })
  await stream.append('t', records('r', 5))
  await stream.close()
  return (await stat(await activeSegment(dir))).size
}

describe('torn tail recovery', () => {
  it('truncates random garbage after the last intact frame', async () => {
    const dir = await tempDir()
    const intact = await fiveRecords(dir)
    await appendFile(await activeSegment(dir), Buffer.from('\x13\x00\x00\x00garbage that is not a frame'))
    await reopenAndCheck(dir, intact)
  })

  it('truncates a partially written frame (valid header, missing payload)', async () => {
    const dir = await tempDir()
    const intact = await fiveRecords(dir)
    const next = encodeFrames([{ value: new Uint8Array(300).fill(7) }], 5)
    await appendFile(await activeSegment(dir), next.subarray(0, 100))
    await reopenAndCheck(dir, intact)
  })

  it('truncates a complete frame whose bytes were damaged (CRC mismatch)', async () => {
    const dir = await tempDir()
    const intact = await fiveRecords(dir)
    const next = encodeFrames([{ value: text('never acknowledged') }], 5)
    next[next.length - 1] = next.at(-1)! ^ 0xff
    await appendFile(await activeSegment(dir), next)
    await reopenAndCheck(dir, intact)
  })

  it('truncates zero-filled tail blocks (file length grew, data never landed)', async () => {
    const dir = await tempDir()
    const intact = await fiveRecords(dir)
    await appendFile(await activeSegment(dir), Buffer.alloc(4096))
    await reopenAndCheck(dir, intact)
  })

  it('treats an intact frame with the wrong offset as garbage', async () => {
    const dir = await tempDir()
    const intact = await fiveRecords(dir)
    await appendFile(await activeSegment(dir), encodeFrames([{ value: text('stale') }], 2))
    await reopenAndCheck(dir, intact)
  })

  it('recovers a segment torn inside its very first frame', async () => {
    const dir = await tempDir()
    const stream = segmentLogStream({ dir })
    await stream.append('t', records('r', 1))
    await stream.close()
    const path = await activeSegment(dir)
    await writeFile(path, (await readFile(path)).subarray(0, 10))
    const reopened = segmentLogStream({ dir })
    expect(await reopened.append('t', [{ value: text('fresh') }])).toEqual({ partition: 0, baseOffset: 0 })
    const { records: got } = await consumeN(reopened, { group: 'g', topic: 't' }, 1)
    expect(str(got[0]!.value)).toBe('fresh')
    await reopened.close()
  })
})
