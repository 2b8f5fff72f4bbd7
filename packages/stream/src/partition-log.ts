import type { FileHandle } from 'node:fs/promises'
import { mkdir, open, readdir, stat, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { encodeFrames } from './frame.ts'
import type { StreamRecord } from './port.ts'
import { fsyncDir, parseSegmentFileName, recoverSegment, segmentFileName } from './segment-file.ts'

export interface Segment {
  baseOffset: number
  path: string
  /** Durable bytes (for the active segment: what the last fsync covered). */
  size: number
  /** When the segment stopped taking writes; undefined while active. */
  sealedAtMs?: number
  /** One past its last offset, once sealed; the active segment ends at the durable end. */
  endOffset?: number
}

export interface PartitionLogOptions {
  segmentBytes: number
  fsync: boolean
  /** Called after records become durable, so consumers wake without polling. */
  onDurable: () => void
}

interface PendingAppend {
  data: Buffer
  endOffset: number
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * One partition: a directory of segments, the last one active. Appends are queued and written by
 * a single flush loop; everything queued while an fsync is in flight goes out in the next write +
 * fsync (group commit), so throughput scales with concurrency instead of being one fsync per call.
 */
export class PartitionLog {
  private readonly segments: Segment[]
  private writer: FileHandle
  private nextOffset: number
  private durable: number
  private pending: PendingAppend[] = []
  private flushing = false
  private flushed: Promise<void> = Promise.resolve()
  private failure: unknown
  private closed = false

  private constructor(
    private readonly dir: string,
    private readonly options: PartitionLogOptions,
    segments: Segment[],
    writer: FileHandle,
    endOffset: number,
  ) {
    this.segments = segments
    this.writer = writer
    this.nextOffset = endOffset
    this.durable = endOffset
  }

  static async open(dir: string, options: PartitionLogOptions): Promise<PartitionLog> {
    const created = await mkdir(dir, { recursive: true })
    if (created !== undefined && options.fsync) {
      // New directories are entries in their parents; sync each parent or a power cut can
      // take a brand-new topic, and its acknowledged records, with it.
      for (let d = dir; d.length >= created.length; d = dirname(d)) await fsyncDir(dirname(d))
    }
    const segments: Segment[] = []
    for (const name of (await readdir(dir)).sort()) {
      const baseOffset = parseSegmentFileName(name)
      if (baseOffset === undefined) continue
      const path = join(dir, name)
      const info = await stat(path)
      segments.push({ baseOffset, path, size: info.size, sealedAtMs: info.mtimeMs })
    }
    for (let i = 0; i + 1 < segments.length; i++) segments[i]!.endOffset = segments[i + 1]!.baseOffset
    let endOffset = 0
    const last = segments.at(-1)
    if (last) {
      const recovered = await recoverSegment(last.path, last.baseOffset, options.fsync)
      last.size = recovered.size
      delete last.sealedAtMs
      endOffset = recovered.nextOffset
    } else {
      const path = join(dir, segmentFileName(0))
      segments.push({ baseOffset: 0, path, size: 0 })
    }
    const active = segments.at(-1)!
    const writer = await open(active.path, 'a')
    if (!last && options.fsync) await fsyncDir(dir)
    return new PartitionLog(dir, options, segments, writer, endOffset)
  }

  /** First offset still on disk. */
  get startOffset(): number {
    return this.segments[0]!.baseOffset
  }

  /** One past the last durable offset; consumers never see beyond it. */
  get endOffset(): number {
    return this.durable
  }

  /** Segment holding `offset` (or the active one when `offset` is the end). */
  segmentFor(offset: number): Segment {
    for (let i = this.segments.length - 1; i > 0; i--) {
      if (this.segments[i]!.baseOffset <= offset) return this.segments[i]!
    }
    return this.segments[0]!
  }

  /** Readable extent of a segment: its end offset and durable byte size. */
  extentOf(segment: Segment): { endOffset: number; size: number } {
    return { endOffset: segment.endOffset ?? this.durable, size: segment.size }
  }

  /** Durable bytes from `segment` (at byte `position`) to the end; a cheap "how much is ready". */
  bytesAfter(segment: Segment, position: number): number {
    let bytes = segment.size - position
    for (let i = this.segments.indexOf(segment) + 1; i > 0 && i < this.segments.length; i++) {
      bytes += this.segments[i]!.size
    }
    return bytes
  }

  /** Resolves with the base offset once the records are durable. Records of one call stay contiguous. */
  append(records: readonly StreamRecord[]): Promise<number> {
    if (this.closed) return Promise.reject(new Error('stream is closed'))
    if (this.failure !== undefined) return Promise.reject(this.failure)
    const baseOffset = this.nextOffset
    if (records.length === 0) return Promise.resolve(baseOffset)
    const data = encodeFrames(records, baseOffset)
    this.nextOffset += records.length
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ data, endOffset: this.nextOffset, resolve: () => resolve(baseOffset), reject })
      if (!this.flushing) {
        this.flushing = true
        this.flushed = this.flushLoop()
      }
    })
  }

  private async flushLoop(): Promise<void> {
    try {
      await this.flushRounds()
    } finally {
      // Cleared synchronously after the last empty-queue check, so no append can slip between.
      this.flushing = false
    }
  }

  private async flushRounds(): Promise<void> {
    while (this.pending.length > 0) {
      const round = this.pending
      this.pending = []
      let done = 0
      try {
        while (done < round.length) {
          const active = this.segments.at(-1)!
          if (active.size >= this.options.segmentBytes && this.durable > active.baseOffset)
            await this.rotate()
          // Fill the active segment up to segmentBytes; one call's records never straddle segments.
          const take: PendingAppend[] = []
          let bytes = this.segments.at(-1)!.size
          while (
            done + take.length < round.length &&
            (take.length === 0 || bytes < this.options.segmentBytes)
          ) {
            const next = round[done + take.length]!
            take.push(next)
            bytes += next.data.length
          }
          await this.writeDurably(take.length === 1 ? take[0]!.data : Buffer.concat(take.map((p) => p.data)))
          this.segments.at(-1)!.size = bytes
          this.durable = take.at(-1)!.endOffset
          done += take.length
          for (const p of take) p.resolve()
          this.options.onDurable()
        }
      } catch (err) {
        // After a failed write or fsync the kernel may have dropped dirty pages, so nothing
        // about the tail can be trusted: refuse further appends until the log is reopened.
        this.failure = err
        for (const p of round.slice(done)) p.reject(err)
        for (const p of this.pending.splice(0)) p.reject(err)
      }
    }
  }

  private async writeDurably(data: Buffer): Promise<void> {
    let written = 0
    while (written < data.length) {
      const { bytesWritten } = await this.writer.write(data, written, data.length - written)
      written += bytesWritten
    }
    if (this.options.fsync) await this.writer.datasync()
  }

  private async rotate(): Promise<void> {
    const path = join(this.dir, segmentFileName(this.durable))
    const writer = await open(path, 'a')
    if (this.options.fsync) await fsyncDir(this.dir)
    await this.writer.close()
    this.writer = writer
    const sealed = this.segments.at(-1)!
    sealed.sealedAtMs = Date.now()
    sealed.endOffset = this.durable
    this.segments.push({ baseOffset: this.durable, path, size: 0 })
  }

  /**
   * Deletes the oldest sealed segments while they are past retention (age or total size) and
   * every record in them is below `committedBy` (the lowest offset committed by any group).
   */
  async applyRetention(committedBy: number, retentionMs: number, retentionBytes: number): Promise<number> {
    let total = this.segments.reduce((sum, s) => sum + s.size, 0)
    let deleted = 0
    const now = Date.now()
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!
      const endOffset = this.segments[1]!.baseOffset
      // Size rule as in Kafka: drop a segment only if what remains is still >= retentionBytes.
      const expired = now - (oldest.sealedAtMs ?? now) >= retentionMs || total - oldest.size >= retentionBytes
      if (!expired || endOffset > committedBy) break
      // Drop it from the list first so no reader can pick it up while the unlink is in flight.
      this.segments.shift()
      await unlink(oldest.path)
      total -= oldest.size
      deleted++
    }
    if (deleted > 0 && this.options.fsync) await fsyncDir(this.dir)
    return deleted
  }

  /** Waits for queued appends, then closes the active file. */
  async close(): Promise<void> {
    this.closed = true
    while (this.flushing) await this.flushed
    await this.writer.close()
  }
}
