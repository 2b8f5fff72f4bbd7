import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { responseContractProblems } from '@sightline/http'
import { memoryCounters } from '@sightline/state'
import { segmentLogStream } from '@sightline/stream'
import { afterAll, describe, expect, it } from 'vitest'
import { Counters, createApp, type SiteQuota } from '../src/index.ts'
import { edgeBatch, SIGNING_KEYS, signedRequest } from './edge-batches.ts'

const dir = mkdtempSync(join(tmpdir(), 'bridge-contract-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function bridge(quota?: SiteQuota) {
  const stream = segmentLogStream({ dir: mkdtempSync(join(dir, 's-')) })
  return {
    stream,
    app: createApp({
      stream,
      topic: 'events.v1',
      signingKeys: SIGNING_KEYS,
      counters: new Counters(),
      ...(quota ? { quota } : {}),
    }),
  }
}

// Every error path of the bridge through the one contract check every service shares.
describe('bridge error contract', () => {
  const cases: Array<[string, () => Promise<Response>]> = [
    ['unsigned batch', async () => bridge().app.request('/v1/ingest', { method: 'POST', body: '{}' })],
    [
      'bad signature',
      async () => {
        const init = await signedRequest(JSON.stringify(edgeBatch(['a'])))
        return bridge().app.request('/v1/ingest', { ...init, body: JSON.stringify(edgeBatch(['b'])) })
      },
    ],
    ['signed but not JSON', async () => bridge().app.request('/v1/ingest', await signedRequest('{"nope'))],
    [
      'declared too large',
      async () =>
        bridge().app.request('/v1/ingest', {
          method: 'POST',
          body: 'x',
          headers: { 'content-length': '99999999' },
        }),
    ],
    [
      'stream not durable',
      async () => {
        const { stream, app } = bridge()
        await stream.close()
        return app.request('/v1/ingest', await signedRequest(JSON.stringify(edgeBatch(['c']))))
      },
    ],
    [
      'chunked body over the cap',
      async () => {
        const chunk = new Uint8Array(1024 * 1024)
        let sent = 0
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            sent += chunk.byteLength
            if (sent > 64 * 1024 * 1024) controller.close()
            else controller.enqueue(chunk)
          },
        })
        return bridge().app.request('/v1/ingest', { method: 'POST', body, duplex: 'half' } as RequestInit)
      },
    ],
    [
      'site over its events_per_minute quota',
      async () => {
        const { app } = bridge({ counters: memoryCounters(), eventsPerMinute: () => 500 })
        const ids = Array.from({ length: 500 }, (_, i) => `full-${i}`)
        await app.request('/v1/ingest', await signedRequest(JSON.stringify(edgeBatch(ids))))
        return app.request('/v1/ingest', await signedRequest(JSON.stringify(edgeBatch(['one-more']))))
      },
    ],
    ['metrics without its token', async () => bridge().app.request('/metrics')],
    ['unknown route', async () => bridge().app.request('/nowhere')],
  ]
  it.each(cases)('%s', async (_name, send) => {
    const res = await send()
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(await responseContractProblems(res)).toEqual([])
  })

  it('echoes the edge request id on errors and mints one when it is malformed', async () => {
    const ok = await bridge().app.request('/nowhere', { headers: { 'x-request-id': 'edge-req-1' } })
    expect(ok.headers.get('x-request-id')).toBe('edge-req-1')
    const bad = await bridge().app.request('/nowhere', { headers: { 'x-request-id': '<b>hi</b>' } })
    expect(bad.headers.get('x-request-id')).not.toBe('<b>hi</b>')
  })
})
