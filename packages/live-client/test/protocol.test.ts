import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLOSE, ClientMessage, ServerMessageSchema } from '../src/protocol.ts'

const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'live.md'), 'utf8')

describe('live protocol v1', () => {
  it('documents every close code and message type in docs/live.md', () => {
    for (const code of Object.values(CLOSE)) expect(doc).toContain(`| ${code} |`)
    for (const type of [
      'auth',
      'subscribe',
      'unsubscribe',
      'ping',
      'ready',
      'snapshot',
      'update',
      'error',
      'heartbeat',
    ]) {
      expect(doc).toContain(`| \`${type}\` |`)
    }
  })

  it('accepts the documented client messages and refuses anything else', () => {
    const ok = [
      { type: 'auth', key: 'rk_x' },
      {
        type: 'subscribe',
        id: 'a',
        site: 'demo',
        channel: 'events',
        event: 'pageview',
        path: '/',
        country: 'DE',
      },
      { type: 'subscribe', id: 'b', site: 'demo', channel: 'visitors', since: 'abc:3' },
      { type: 'subscribe', id: 'q', site: 'demo', channel: 'query', spec: { kind: 'stats' } },
      { type: 'unsubscribe', id: 'a' },
      { type: 'ping', nonce: 'n' },
    ]
    for (const m of ok) expect(ClientMessage.safeParse(m).success).toBe(true)
    const bad = [
      { type: 'subscribe', id: 'a', site: 'demo', channel: 'query' },
      { type: 'subscribe', id: 'a', site: 'demo', channel: 'query', spec: [] },
      { type: 'subscribe', id: 'a', site: 'demo', channel: 'visitors', spec: { kind: 'stats' } },
      { type: 'subscribe', id: 'a', site: 'demo', channel: 'query', spec: { kind: 'stats' }, path: '/' },
      { type: 'subscribe', id: 'a', site: 'demo', channel: 'events', since: '' },
      { type: 'subscribe', id: '', site: 'demo', channel: 'events' },
      { type: 'subscribe', id: 'a', site: 'demo', channel: 'events', extra: 1 },
      { type: 'auth' },
      { type: 'hello' },
    ]
    for (const m of bad) expect(ClientMessage.safeParse(m).success).toBe(false)
  })

  it('validates server messages the client receives', () => {
    const snapshot = {
      type: 'snapshot',
      id: 'v',
      channel: 'visitors',
      data: {
        at: 'now',
        window_s: 300,
        active: 1,
        top_pages: [{ key: '/', count: 1 }],
        top_sources: [],
        top_countries: [],
      },
      watermark: 'abc:1',
    }
    expect(ServerMessageSchema.safeParse(snapshot).success).toBe(true)
    const { watermark: _, ...noWatermark } = snapshot
    expect(ServerMessageSchema.safeParse(noWatermark).success).toBe(false)
    const query = { type: 'update', id: 'q', channel: 'query', data: { events: 3 }, watermark: 'abc:2' }
    expect(ServerMessageSchema.safeParse(query).success).toBe(true)
    const unchanged = { type: 'snapshot', id: 'q', channel: 'query', watermark: 'abc:2', unchanged: true }
    expect(ServerMessageSchema.safeParse(unchanged).success).toBe(true)
    // Only a query snapshot marked unchanged may come without data.
    expect(ServerMessageSchema.safeParse({ ...unchanged, unchanged: undefined }).success).toBe(false)
    expect(ServerMessageSchema.safeParse({ ...unchanged, type: 'update' }).success).toBe(false)
    const badRate = {
      type: 'update',
      id: 't',
      channel: 'events',
      data: { events: [], sample_rate: 0, rate_per_s: 1 },
      watermark: 'abc:1',
    }
    expect(ServerMessageSchema.safeParse(badRate).success).toBe(false)
  })
})
