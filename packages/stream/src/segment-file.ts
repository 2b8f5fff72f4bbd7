import type { FileHandle } from 'node:fs/promises'
import { open } from 'node:fs/promises'
import { type DecodedRecord, parseFrame } from './frame.ts'

/** Segment files are named by their base offset, zero-padded so lexical order is offset order. */
const SEGMENT_SUFFIX = '.seg'
const READ_CHUNK_BYTES = 1024 * 1024

export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}${SEGMENT_SUFFIX}`
}

export function parseSegmentFileName(name: string): number | undefined {
  const match = /^(\d{20})\.seg$/.exec(name)
  return match ? Number(match[1]) : undefined
}

interface WalkResult {
  /** Byte position just after the last accepted frame. */
  position: number
  /** Offset of the next frame (one past the last accepted frame). */
  offset: number
  /** Set when walking stopped at a frame that is torn or damaged. */
  corrupt?: string
}

/** What a visitor wants: skip this frame and stop, take it and go on, or take it and stop. */
type Visit = 'stop' | 'take' | 'take-last'

/**
 * Visits frames from `position` (whose first frame has `offset`) up to byte `limit`, reading in
 * large chunks so a scan costs a few syscalls per megabyte.
 */
async function walkFrames(
  fh: FileHandle,
  position: number,
  limit: number,
  offset: number,
  visit: (record: DecodedRecord) => Visit,
  chunkBytes = READ_CHUNK_BYTES,
): Promise<WalkResult> {
  let wanted = chunkBytes
  while (position < limit) {
    const size = Math.min(wanted, limit - position)
    const buf = Buffer.allocUnsafe(size)
    const { bytesRead } = await fh.read(buf, 0, size, position)
    if (bytesRead === 0) return { position, offset, corrupt: 'file shorter than expected' }
    const chunk = bytesRead === size ? buf : buf.subarray(0, bytesRead)
    let at = 0
    wanted = chunkBytes
    while (at < chunk.length) {
      const parsed = parseFrame(chunk, at, offset)
      if (parsed.kind === 'corrupt') return { position: position + at, offset, corrupt: parsed.reason }
      if (parsed.kind === 'incomplete') {
        if (position + at + parsed.frameBytes > limit || bytesRead < size) {
          return { position: position + at, offset, corrupt: 'truncated frame' }
        }
        wanted = Math.max(chunkBytes, parsed.frameBytes)
        break
      }
      const decision = visit(parsed.record)
      if (decision === 'stop') return { position: position + at, offset }
      at += parsed.frameBytes
      offset++
      if (decision === 'take-last') return { position: position + at, offset }
    }
    position += at
  }
  return { position, offset }
}

/**
 * Validates the whole segment and truncates it after the last intact frame. Only the active
 * (last) segment can have a torn tail, because a segment is fsynced before the next is created.
 */
export async function recoverSegment(
  path: string,
  baseOffset: number,
  fsync: boolean,
): Promise<{ size: number; nextOffset: number; truncatedBytes: number }> {
  const fh = await open(path, 'r+')
  try {
    const { size } = await fh.stat()
    const walked = await walkFrames(fh, 0, size, baseOffset, () => 'take')
    if (walked.position < size) {
      await fh.truncate(walked.position)
      if (fsync) await fh.sync()
    }
    return { size: walked.position, nextOffset: walked.offset, truncatedBytes: size - walked.position }
  } finally {
    await fh.close()
  }
}

/** Byte position of `targetOffset` within a segment; used once when a consumer starts. */
export async function seekPosition(
  fh: FileHandle,
  baseOffset: number,
  limit: number,
  targetOffset: number,
): Promise<number> {
  if (targetOffset === baseOffset) return 0
  const walked = await walkFrames(fh, 0, limit, baseOffset, (r) =>
    r.offset < targetOffset ? 'take' : 'stop',
  )
  if (walked.corrupt || walked.offset !== targetOffset) {
    throw new Error(
      `cannot find offset ${targetOffset} in segment ${baseOffset}: ${walked.corrupt ?? 'short'}`,
    )
  }
  return walked.position
}

/**
 * Reads up to `maxRecords` records (and at most `maxBytes` of values, but always at least one
 * record) from durable bytes only. Damage here is in data that was fsynced and acknowledged,
 * so it throws rather than silently skipping.
 */
export async function readFrames(
  fh: FileHandle,
  position: number,
  limit: number,
  offset: number,
  maxRecords: number,
  maxBytes: number,
): Promise<{ records: DecodedRecord[]; position: number }> {
  const records: DecodedRecord[] = []
  let bytes = 0
  // Delivered values are views into the read buffer, so size it near the batch, not the backlog.
  const chunkBytes = Math.min(READ_CHUNK_BYTES, Math.max(64 * 1024, maxBytes + maxRecords * 64))
  const visit = (record: DecodedRecord): Visit => {
    if (records.length > 0 && bytes + record.value.byteLength > maxBytes) return 'stop'
    records.push(record)
    bytes += record.value.byteLength
    return records.length < maxRecords && bytes < maxBytes ? 'take' : 'take-last'
  }
  const walked = await walkFrames(fh, position, limit, offset, visit, chunkBytes)
  if (walked.corrupt) throw new Error(`corrupt record at offset ${walked.offset}: ${walked.corrupt}`)
  return { records, position: walked.position }
}

/** Makes a create/rename/unlink in `dir` durable; without it the entry can vanish on power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}
