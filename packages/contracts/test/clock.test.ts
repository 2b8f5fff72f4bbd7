import { describe, expect, it } from 'vitest'
import { correctTimestamp } from '../src/index.ts'

const received = '2026-11-25T12:00:00.000Z'

describe('correctTimestamp', () => {
  it('uses received_at when the client sent no timestamp', () => {
    expect(correctTimestamp(undefined, undefined, received)).toEqual({ ts: received, skewed: false })
  })
  it('rebases the event age measured on the client clock onto the server clock', () => {
    // Client clock 1 h behind: event happened 30 s before sending.
    const out = correctTimestamp('2026-11-25T10:59:30.000Z', '2026-11-25T11:00:00.000Z', received)
    expect(out).toEqual({ ts: '2026-11-25T11:59:30.000Z', skewed: false })
  })
  it('trusts the client timestamp when sent_at is missing', () => {
    expect(correctTimestamp('2026-11-25T11:00:00.000Z', undefined, received).ts).toBe(
      '2026-11-25T11:00:00.000Z',
    )
  })
  it('clamps absurd values to received_at and flags them', () => {
    expect(correctTimestamp('2030-01-01T00:00:00.000Z', undefined, received)).toEqual({
      ts: received,
      skewed: true,
    })
    expect(correctTimestamp('1970-01-01T00:00:00.000Z', undefined, received)).toEqual({
      ts: received,
      skewed: true,
    })
  })
})
