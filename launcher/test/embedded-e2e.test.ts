import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGenerator, eventually, expectedCounts } from '@sightline/testing'
import { afterAll, describe, expect, it } from 'vitest'
import {
  launcherPorts,
  postBatch,
  type RunningSightline,
  sendAll,
  startSightline,
  stats,
} from './launcher-harness.ts'

// The whole embedded product as a user runs it: launcher → wrangler dev (workerd) → hub
// (bridge + writer + query over chdb). Nothing faked.
const dataDir = mkdtempSync(join(tmpdir(), 'sightline-e2e-'))
let running: RunningSightline | undefined

afterAll(async () => {
  await running?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

async function metric(e: RunningSightline['endpoints'], name: string, labels: string): Promise<number> {
  const text = await (
    await fetch(`${e.bridge}/metrics`, { headers: { authorization: `Bearer ${e.metrics_token}` } })
  ).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`))
  return line ? Number(line.split(' ').at(-1)) : 0
}

describe('embedded Sightline, end to end', () => {
  const gen = createGenerator({ seed: 'e2e', sites: ['demo'], visitors: 400, spanMs: 6 * 3600_000 })
  const batches = gen.batches(10_000, 100, { sentAt: null })
  // Timestamps must be recent for a dashboard; re-base them onto "now" (client clocks vary anyway).
  const shift = Date.now() - 60_000 - gen.end.getTime()
  for (const b of batches) {
    for (const e of b.batch) e.timestamp = new Date(Date.parse(e.timestamp!) + shift).toISOString()
  }
  const expected = expectedCounts(batches.flatMap((b) => b.batch))

  it('starts with one command and prints where to send and where to query', async () => {
    running = await startSightline(dataDir, await launcherPorts())
    const out = running.output()
    expect(out).toContain(running.endpoints.ingest)
    expect(out).toContain(running.endpoints.sites[0]!.write_key)
    expect(out).toContain('curl')
    expect(running.endpoints.sites[0]!.site_id).toBe('demo')
    // endpoints.json holds the secret read keys: owner-only, like the directory it is in.
    expect(statSync(join(dataDir, 'endpoints.json')).mode & 0o777).toBe(0o600)
    expect(statSync(dataDir).mode & 0o777).toBe(0o700)
  })

  it('counts 10,000 generated events sent through the edge exactly', async () => {
    const e = running!.endpoints
    const statuses = await sendAll(e.edge, e.sites[0]!.write_key, batches)
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    const got = await eventually(
      () => stats(e),
      (s) => s.events >= expected.events,
      60_000,
    )
    expect(got).toMatchObject({
      events: expected.events,
      pageviews: expected.pageviews,
      visitors: expected.uniqueVisitors,
    })
  })

  it("serves the query service's Prometheus metrics behind the same token as the bridge's", async () => {
    const e = running!.endpoints
    expect((await fetch(`${e.query}/metrics`)).status).toBe(404)
    const res = await fetch(`${e.query}/metrics`, { headers: { authorization: `Bearer ${e.metrics_token}` } })
    expect(res.status).toBe(200)
    const text = await res.text()
    // The stats polls of the test above, by route pattern; the process's event-loop lag; live gauges.
    const ok = text
      .split('\n')
      .find((l) =>
        l.startsWith(
          'sightline_query_http_requests_total{route="/v1/sites/:site/stats",method="GET",status="200"}',
        ),
      )
    expect(Number(ok?.split(' ').at(-1))).toBeGreaterThan(0)
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m)
    expect(text).toMatch(/^sightline_live_connections 0$/m)
  })

  it('leaves the counts unchanged when the same batches are sent again', async () => {
    const e = running!.endpoints
    const statuses = await sendAll(e.edge, e.sites[0]!.write_key, batches)
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    // Wait until the writer has seen every re-sent event (as duplicates), then compare.
    const dupes = await eventually(
      () => metric(e, 'sightline_writer_events_total', 'outcome="duplicate"'),
      (n) => n >= expected.events,
      60_000,
    )
    expect(dupes).toBe(expected.events)
    expect((await stats(e)).events).toBe(expected.events)
  })

  it('counts single-event beacons sent 32 at a time exactly once, in fewer bridge batches than requests', async () => {
    const e = running!.endpoints
    const key = e.sites[0]!.write_key
    const before = (await stats(e)).events
    const batchesBefore = await metric(e, 'sightline_bridge_batches_total', 'outcome="durable"')
    const total = 400
    let next = 0
    const statuses: number[] = []
    // Concurrent requests in the edge's isolate wait on one another's forward (separate
    // request contexts in workerd) and share signed batches; each is answered for its own event.
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < total) {
          const i = next++
          const res = await fetch(`${e.edge}/v1/b?k=${key}`, {
            method: 'POST',
            headers: { 'content-type': 'text/plain' },
            body: JSON.stringify({
              type: 'track',
              event: 'beacon',
              message_id: `beacon-${i}`,
              anonymous_id: `b-${i % 7}`,
            }),
          })
          statuses.push(res.status)
        }
      }),
    )
    expect(statuses.filter((s) => s !== 204)).toEqual([])
    const got = await eventually(
      () => stats(e),
      (s) => s.events >= before + total,
      60_000,
    )
    expect(got.events).toBe(before + total)
    const batches = (await metric(e, 'sightline_bridge_batches_total', 'outcome="durable"')) - batchesBefore
    expect(batches).toBeLessThan(total)
  })

  it('answers bad input with a 4xx and the error contract, never a 5xx', async () => {
    const e = running!.endpoints
    const key = e.sites[0]!.write_key
    const malformed = await fetch(`${e.edge}/v1/batch`, {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`${key}:`)}`, 'content-type': 'application/json' },
      body: '{"batch":[',
    })
    const oversize = await fetch(`${e.edge}/v1/batch`, {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`${key}:`)}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        batch: [
          {
            type: 'track',
            event: 'x',
            message_id: 'big',
            anonymous_id: 'a',
            properties: { s: 'x'.repeat(600_000) },
          },
        ],
      }),
    })
    const unknownKey = await postBatch(e.edge, 'wk_not_a_key', { batch: [] })
    const wrongSignature = await fetch(`${e.bridge}/v1/ingest`, {
      method: 'POST',
      headers: { 'x-sightline-signature': `t=${Date.now()},kid=k1,v1=${'ab'.repeat(32)}` },
      body: '{"v":1}',
    })
    for (const [res, status, code] of [
      [malformed, 400, 'invalid_json'],
      [oversize, 413, 'payload_too_large'],
      [unknownKey, 401, 'unknown_write_key'],
      [wrongSignature, 401, 'invalid_signature'],
    ] as const) {
      expect(res.status).toBe(status)
      const body = (await res.json()) as {
        error: { code: string; message: string; docs: string; request_id: string }
      }
      expect(body.error).toMatchObject({
        code,
        message: expect.any(String),
        docs: expect.stringContaining(code),
      })
      expect(body.error.request_id).toBeTruthy()
    }
  })

  it('keeps the good events of a mixed batch and makes the refused one visible per site and reason', async () => {
    const e = running!.endpoints
    const site = e.sites[0]!
    const res = await postBatch(e.edge, site.write_key, {
      batch: [
        { type: 'track', event: 'kept', message_id: 'mixed-ok', anonymous_id: 'v-mixed' },
        { type: 'track', event: 'refused', message_id: 'mixed-bad' },
      ],
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { accepted: number; rejected: Array<{ index: number; code: string }> }
    expect(body.accepted).toBe(1)
    expect(body.rejected).toEqual([expect.objectContaining({ index: 1, code: 'invalid_event' })])
    const rejected = await eventually(
      async () => {
        const r = await fetch(`${e.query}/v1/sites/${site.site_id}/rejected`, {
          headers: { authorization: `Bearer ${site.read_key}` },
        })
        return (await r.json()) as {
          total: number
          groups: Array<{ stage: string; code: string; count: number }>
        }
      },
      (r) => r.total >= 1,
      30_000,
    )
    expect(rejected.groups).toContainEqual(
      expect.objectContaining({ stage: 'edge', code: 'invalid_event', count: 1 }),
    )
  })

  it('stops cleanly on Ctrl-C', async () => {
    expect(await running!.stop()).toBe(0)
    running = undefined
  })
})
