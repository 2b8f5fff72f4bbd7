import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { OffsetsStore } from './offsets-store.ts'
import { PartitionLog } from './partition-log.ts'

export interface TopicLogOptions {
  partitions: number
  segmentBytes: number
  retentionMs: number
  retentionBytes: number
  fsync: boolean
}

/**
 * A topic: its partition logs plus what every known consumer group has committed on it. The
 * committed offsets live here (not in consumers) because retention needs all groups at once,
 * including groups that are not consuming right now.
 */
export class TopicLog {
  private readonly listeners = new Set<() => void>()
  readonly partitions: PartitionLog[] = []

  private constructor(
    readonly name: string,
    private readonly store: OffsetsStore,
    private readonly committed: Map<string, number[]>,
    private readonly options: TopicLogOptions,
  ) {}

  static async open(
    name: string,
    dir: string,
    store: OffsetsStore,
    options: TopicLogOptions,
  ): Promise<TopicLog> {
    const committed = new Map<string, number[]>()
    for (const group of await store.groupsOf(name)) {
      committed.set(group, (await store.load(group, name))!)
    }
    await assertPartitionCount(dir, options.partitions)
    const topic = new TopicLog(name, store, committed, options)
    for (let p = 0; p < options.partitions; p++) {
      const log = await PartitionLog.open(join(dir, String(p)), {
        segmentBytes: options.segmentBytes,
        fsync: options.fsync,
        onDurable: () => topic.notify(),
      })
      topic.partitions.push(log)
    }
    await topic.retain()
    return topic
  }

  /** Registers a wake-up for durable appends; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private notify(): void {
    for (const listener of this.listeners) listener()
  }

  /**
   * The group's committed offsets, clamped to what is still on disk. A group seen for the first
   * time starts at the earliest record and is persisted at once, so retention waits for it even
   * if the process restarts before its first commit.
   */
  async join(group: string): Promise<number[]> {
    let offsets = this.committed.get(group)
    if (offsets === undefined) {
      offsets = this.partitions.map((p) => p.startOffset)
      await this.store.save(group, this.name, offsets)
      this.committed.set(group, offsets)
    }
    return this.partitions.map((p, i) => Math.max(offsets[i] ?? 0, p.startOffset))
  }

  async commit(group: string, partition: number, offset: number): Promise<void> {
    const offsets = [...(this.committed.get(group) ?? this.partitions.map((p) => p.startOffset))]
    offsets[partition] = offset
    await this.store.save(group, this.name, offsets)
    // Retention trusts this map, so it only changes once the commit is on disk.
    this.committed.set(group, offsets)
    await this.retain()
  }

  lag(group: string): number {
    const offsets = this.committed.get(group)
    let lag = 0
    this.partitions.forEach((p, i) => {
      lag += p.endOffset - Math.max(offsets?.[i] ?? 0, p.startOffset)
    })
    return lag
  }

  /** Deletes old segments that every known group has fully committed. No known group: keep all. */
  async retain(): Promise<void> {
    if (this.committed.size === 0) return
    for (let p = 0; p < this.partitions.length; p++) {
      let lowest = Number.POSITIVE_INFINITY
      for (const offsets of this.committed.values()) lowest = Math.min(lowest, offsets[p] ?? 0)
      await this.partitions[p]!.applyRetention(lowest, this.options.retentionMs, this.options.retentionBytes)
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.partitions.map((p) => p.close()))
  }
}

/** Fewer partitions than on disk would silently strand records; refuse instead. */
async function assertPartitionCount(dir: string, partitions: number): Promise<void> {
  let entries: string[] = []
  try {
    entries = await readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const highest = Math.max(-1, ...entries.filter((e) => /^\d+$/.test(e)).map(Number))
  if (highest >= partitions) {
    throw new Error(`${dir} has ${highest + 1} partitions on disk but ${partitions} are configured`)
  }
}
