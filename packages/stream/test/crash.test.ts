import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { segmentLogStream } from '../src/index.ts'
import { payload } from './fixtures/payload.ts'
import { consumeN, tempDir } from './helpers.ts'

const child = fileURLToPath(new URL('./fixtures/crash-appender.ts', import.meta.url))

/** Runs the appender until it has acknowledged `acks` records, then SIGKILLs it mid-stream. */
function appendUntilKilled(dir: string, acks: number): Promise<Map<number, [number, number]>> {
  return new Promise((resolve, reject) => {
    const acked = new Map<number, [number, number]>()
    const proc = spawn(process.execPath, ['--import', 'tsx', child, dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let pending = ''
    let stderr = ''
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    proc.stdout.on('data', (d: Buffer) => {
      pending += d.toString()
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) {
        const [offset, w, seq] = line.split(' ').map(Number)
        acked.set(offset!, [w!, seq!])
      }
      if (acked.size >= acks && !proc.killed) proc.kill('SIGKILL')
    })
    proc.on('error', reject)
    proc.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked)
      else reject(new Error(`appender exited early (${code}): ${stderr}`))
    })
  })
}

describe('crash safety', () => {
  it('keeps every acknowledged record intact after kill -9 mid-append', async () => {
    const dir = await tempDir()
    const acked = await appendUntilKilled(dir, 1500)
    expect(acked.size).toBeGreaterThanOrEqual(1500)

    const stream = segmentLogStream({ dir, segmentBytes: 32 * 1024 })
    const total = await stream.lag('check', 't')
    // Records written but not yet acknowledged when the kill landed may survive; none may be lost.
    expect(total).toBeGreaterThanOrEqual(acked.size)
    const { records } = await consumeN(stream, { group: 'check', topic: 't', maxRecords: 1000 }, total)
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: total }, (_, i) => i))
    const byOffset = new Map(records.map((r) => [r.offset, r]))
    for (const [offset, [w, seq]] of acked) {
      const record = byOffset.get(offset)
      expect(record?.key).toBe(`w${w}`)
      expect(Buffer.from(record!.value).equals(Buffer.from(payload(w, seq)))).toBe(true)
    }
    // The log stays appendable right after the recovered tail.
    expect((await stream.append('t', [{ value: payload(99, 0) }])).baseOffset).toBe(total)
    await stream.close()
  })
})
