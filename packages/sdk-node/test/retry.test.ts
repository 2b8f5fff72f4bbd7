import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { backoffMs, isRetryable, MAX_RETRY_AFTER_MS, retryAfterMs } from '../src/retry.ts'

describe('retry schedule', () => {
  it('retries 408, 429 and 5xx, not other 4xx', () => {
    expect([408, 429, 500, 502, 503].map(isRetryable)).toEqual([true, true, true, true, true])
    expect([400, 401, 403, 413, 415].map(isRetryable)).toEqual([false, false, false, false, false])
  })

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3000)
    expect(retryAfterMs('0')).toBe(0)
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000)
    expect(retryAfterMs(null)).toBeUndefined()
    expect(retryAfterMs('soon')).toBeUndefined()
  })

  it('doubles the delay per attempt with jitter between half and all of it, capped', () => {
    const opts = { baseMs: 100, maxMs: 1000 }
    expect(backoffMs(0, opts, () => 0)).toBe(50)
    expect(backoffMs(0, opts, () => 1)).toBe(100)
    expect(backoffMs(3, opts, () => 0)).toBe(400)
    expect(backoffMs(3, opts, () => 1)).toBe(800)
    expect(backoffMs(10, opts, () => 1)).toBe(1000)
  })

  it('lets Retry-After replace the schedule, within a sane bound', () => {
    expect(backoffMs(0, { baseMs: 100, maxMs: 1000, retryAfterMs: 5000 })).toBe(5000)
    expect(backoffMs(0, { baseMs: 100, maxMs: 1000, retryAfterMs: 3_600_000 })).toBe(MAX_RETRY_AFTER_MS)
  })
})

describe('runs on edge runtimes', () => {
  it('uses no Node built-ins and no process globals (fetch, CompressionStream and btoa only)', () => {
    const dir = join(import.meta.dirname, '..', 'src')
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), 'utf8')
      expect(text, file).not.toMatch(/from ['"]node:|require\(|\bprocess\.|\bBuffer\b/)
    }
  })
})
