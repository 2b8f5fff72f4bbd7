import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import type { EventStream, RecordBatch, StoredRecord } from '../src/index.ts'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })))
})

/** A fresh directory per test, removed afterwards. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sightline-stream-'))
  dirs.push(dir)
  return dir
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s)
export const str = (b: Uint8Array): string => new TextDecoder().decode(b)

export function records(prefix: string, count: number, from = 0): { key?: string; value: Uint8Array }[] {
  return Array.from({ length: count }, (_, i) => ({ value: text(`${prefix}-${from + i}`) }))
}

/**
 * Consumes until `count` records have been delivered (and committed), then stops.
 * Returns every record in delivery order plus the batches as delivered.
 */
export async function consumeN(
  stream: EventStream,
  options: { group: string; topic: string; maxRecords?: number; maxBytes?: number; maxWaitMs?: number },
  count: number,
): Promise<{ records: StoredRecord[]; batches: RecordBatch[] }> {
  const seen: StoredRecord[] = []
  const batches: RecordBatch[] = []
  let finish!: () => void
  const enough = new Promise<void>((resolve) => {
    finish = resolve
  })
  const consumer = stream.consume({ maxWaitMs: 0, ...options }, async (batch) => {
    batches.push(batch)
    seen.push(...batch.records)
    if (seen.length >= count) finish()
  })
  if (count === 0) finish()
  await enough
  await consumer.stop()
  return { records: seen, batches }
}

export async function segmentFiles(dir: string, topic: string, partition = 0): Promise<string[]> {
  return (await readdir(join(dir, 'topics', topic, String(partition))))
    .filter((f) => f.endsWith('.seg'))
    .sort()
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
