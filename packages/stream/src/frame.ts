import { crc32 } from 'node:zlib'
import type { StreamRecord } from './port.ts'

/**
 * On-disk record framing. A frame is `u32 payloadLength | u32 crc32(payload) | payload`, with
 * payload = `u8 version | u64 offset | u32 keyLength (0xffffffff = no key) | key | value`,
 * all little-endian. The CRC lets recovery tell a torn tail (power loss, kill -9 mid-write)
 * from real data; the offset inside the payload catches frames that are intact but misplaced
 * (e.g. a stale page), so recovery never hands garbage to a consumer.
 */
export const HEADER_BYTES = 8
const PAYLOAD_FIXED_BYTES = 1 + 8 + 4
const VERSION = 1
const NO_KEY = 0xffffffff
/** Frames larger than this are treated as corruption: no sane event batch comes close. */
export const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024

export interface DecodedRecord {
  offset: number
  key?: string
  value: Uint8Array
}

export type FrameParse =
  | { kind: 'record'; record: DecodedRecord; frameBytes: number }
  /** The frame continues past the end of the buffer: read at least `frameBytes` from its start. */
  | { kind: 'incomplete'; frameBytes: number }
  | { kind: 'corrupt'; reason: string }

export function encodeFrames(records: readonly StreamRecord[], firstOffset: number): Buffer {
  const keys = records.map((r) => (r.key === undefined ? undefined : Buffer.from(r.key, 'utf8')))
  let total = 0
  for (let i = 0; i < records.length; i++) {
    total += HEADER_BYTES + PAYLOAD_FIXED_BYTES + (keys[i]?.length ?? 0) + records[i]!.value.byteLength
  }
  const buf = Buffer.allocUnsafe(total)
  let pos = 0
  for (let i = 0; i < records.length; i++) {
    const key = keys[i]
    const value = records[i]!.value
    const payloadBytes = PAYLOAD_FIXED_BYTES + (key?.length ?? 0) + value.byteLength
    if (payloadBytes > MAX_PAYLOAD_BYTES) throw new RangeError(`record of ${payloadBytes} bytes is too large`)
    const start = pos + HEADER_BYTES
    buf.writeUInt32LE(payloadBytes, pos)
    buf.writeUInt8(VERSION, start)
    buf.writeBigUInt64LE(BigInt(firstOffset + i), start + 1)
    buf.writeUInt32LE(key ? key.length : NO_KEY, start + 9)
    let at = start + PAYLOAD_FIXED_BYTES
    if (key) {
      key.copy(buf, at)
      at += key.length
    }
    buf.set(value, at)
    buf.writeUInt32LE(crc32(buf.subarray(start, start + payloadBytes)), pos + 4)
    pos = start + payloadBytes
  }
  return buf
}

/** Parses the frame at `pos`; values are views into `buf` (no copy). */
export function parseFrame(buf: Buffer, pos: number, expectedOffset: number): FrameParse {
  if (buf.length - pos < HEADER_BYTES) return { kind: 'incomplete', frameBytes: HEADER_BYTES }
  const payloadBytes = buf.readUInt32LE(pos)
  if (payloadBytes < PAYLOAD_FIXED_BYTES || payloadBytes > MAX_PAYLOAD_BYTES) {
    return { kind: 'corrupt', reason: `bad frame length ${payloadBytes}` }
  }
  const frameBytes = HEADER_BYTES + payloadBytes
  if (buf.length - pos < frameBytes) return { kind: 'incomplete', frameBytes }
  const start = pos + HEADER_BYTES
  const end = start + payloadBytes
  if (crc32(buf.subarray(start, end)) !== buf.readUInt32LE(pos + 4)) {
    return { kind: 'corrupt', reason: 'crc mismatch' }
  }
  if (buf.readUInt8(start) !== VERSION) return { kind: 'corrupt', reason: 'unknown frame version' }
  const offset = Number(buf.readBigUInt64LE(start + 1))
  if (offset !== expectedOffset) {
    return { kind: 'corrupt', reason: `offset ${offset} where ${expectedOffset} was expected` }
  }
  const keyBytes = buf.readUInt32LE(start + 9)
  let at = start + PAYLOAD_FIXED_BYTES
  let key: string | undefined
  if (keyBytes !== NO_KEY) {
    if (at + keyBytes > end) return { kind: 'corrupt', reason: 'key overruns frame' }
    key = buf.toString('utf8', at, at + keyBytes)
    at += keyBytes
  }
  const value = buf.subarray(at, end)
  return {
    kind: 'record',
    record: key === undefined ? { offset, value } : { offset, key, value },
    frameBytes,
  }
}
