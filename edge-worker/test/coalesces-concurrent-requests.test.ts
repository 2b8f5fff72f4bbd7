import type { EdgeBatch } from '@sightline/contracts'
import { describe, expect, it } from 'vitest'
import { bridgeLog, type ErrorJson, makeEvent, post, testApp } from './support/harness.ts'

interface Accepted {
  ok: boolean
  accepted: number
  rejected: unknown[]
}

/** Every message_id the bridges recorded as durable (an `ok`/`slow` answer), with repeats. */
function durableIds(batches: (EdgeBatch | undefined)[]): string[] {
  return batches.flatMap((b) => b?.events.map((e) => e.message_id) ?? [])
}

describe('concurrent requests share bridge batches', () => {
  it('requests arriving while a forward is in flight leave as one signed batch; each is answered for its own events', async () => {
    const { app, namespace } = testApp(['slow'], { coalesce: { maxInFlight: 1 } })
    const sent = Array.from({ length: 12 }, () => makeEvent())
    const responses = await Promise.all(sent.map((e) => post(app, '/v1/batch', { batch: [e] })))
    for (const res of responses) {
      expect(res.status).toBe(200)
      expect(((await res.json()) as Accepted).accepted).toBe(1)
    }
    const log = await bridgeLog(namespace)
    // The first goes alone at once; the others waited behind it and were combined.
    expect(log.length).toBeLessThan(sent.length)
    expect(log.length).toBeGreaterThanOrEqual(2)
    expect(log.every((a) => a.verified)).toBe(true)
    expect(new Set(log.map((a) => a.batch?.batch_id)).size).toBe(log.length)
    // Nothing lost, nothing doubled.
    expect(durableIds(log.map((a) => a.batch)).sort()).toEqual(sent.map((e) => e.message_id).sort())
  })

  it('a combined batch fails over as a whole, under one batch_id', async () => {
    const { app, namespace } = testApp(['fail', 'slow'], { coalesce: { maxInFlight: 1 } })
    const sent = Array.from({ length: 8 }, () => makeEvent())
    const statuses = await Promise.all(
      sent.map((e) => post(app, '/v1/batch', { batch: [e] }).then((r) => r.status)),
    )
    expect(statuses).toEqual(sent.map(() => 200))
    const log = await bridgeLog(namespace)
    const failed = log.filter((a) => a.mode === 'fail')
    const taken = log.filter((a) => a.mode === 'slow')
    expect(taken.length).toBeLessThan(sent.length)
    // Every batch the first bridge refused reached the second with the same id and events.
    expect(taken.map((a) => a.batch?.batch_id).sort()).toEqual(failed.map((a) => a.batch?.batch_id).sort())
    expect(durableIds(taken.map((a) => a.batch)).sort()).toEqual(sent.map((e) => e.message_id).sort())
  })

  it('no bridge takes a combined batch → every member gets the 503 it would have got alone', async () => {
    const { app, namespace } = testApp(['timeout', 'fail'], {
      coalesce: { maxInFlight: 1 },
      attemptTimeoutMs: 300,
      retryAfterSeconds: 9,
    })
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => post(app, '/v1/batch', { batch: [makeEvent()] })),
    )
    for (const res of responses) {
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('9')
      expect(((await res.json()) as ErrorJson).error.code).toBe('no_bridge_available')
    }
    const log = await bridgeLog(namespace)
    // Fewer attempts than requests × bridges: the waiting ones were tried together.
    expect(log.length).toBeLessThan(6 * 2)
    expect(log.filter((a) => a.mode === 'timeout').length).toBe(log.filter((a) => a.mode === 'fail').length)
  })

  it('a batch carrying refusals travels alone (refusals are stored under batch_id and index)', async () => {
    const { app, namespace } = testApp(['slow'], { coalesce: { maxInFlight: 1 } })
    const good = Array.from({ length: 5 }, () => makeEvent())
    const withRefusal = [makeEvent(), { type: 'no-such-type', message_id: 'refused-1' }]
    const responses = await Promise.all([
      ...good.map((e) => post(app, '/v1/batch', { batch: [e] })),
      post(app, '/v1/batch', { batch: withRefusal }),
    ])
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200))
    const log = await bridgeLog(namespace)
    const carrying = log.filter((a) => (a.batch?.rejected?.length ?? 0) > 0)
    expect(carrying).toHaveLength(1)
    expect(carrying[0]!.batch!.events.map((e) => e.message_id)).toEqual([withRefusal[0]!.message_id])
    expect(carrying[0]!.batch!.rejected!.map((r) => r.index)).toEqual([1])
  })

  it('a combined batch never carries more events than one client batch may', async () => {
    // Three forwards in a row, each slow: the per-attempt timeout must not be what this tests.
    const { app, namespace } = testApp(['slow'], { coalesce: { maxInFlight: 1 }, attemptTimeoutMs: 3_000 })
    const requests = Array.from({ length: 4 }, () => Array.from({ length: 200 }, () => makeEvent()))
    const statuses = await Promise.all(
      requests.map((batch) => post(app, '/v1/batch', { batch }).then((r) => r.status)),
    )
    expect(statuses).toEqual([200, 200, 200, 200])
    const log = await bridgeLog(namespace)
    expect(log.every((a) => (a.batch?.events.length ?? 0) <= 500)).toBe(true)
    expect(log.length).toBeLessThan(4)
    expect(durableIds(log.map((a) => a.batch)).sort()).toEqual(
      requests
        .flat()
        .map((e) => e.message_id as string)
        .sort(),
    )
  })

  it('through the Worker entry, separate requests wait on one another and are all answered', async () => {
    const { exports } = await import('cloudflare:workers')
    const sent = Array.from({ length: 24 }, () => makeEvent({ event: 'Coalesced Via Entry' }))
    const statuses = await Promise.all(
      sent.map((e) =>
        exports.default
          .fetch('http://edge/v1/batch', {
            method: 'POST',
            headers: { 'x-write-key': 'wk_test_primary', 'content-type': 'application/json' },
            body: JSON.stringify({ batch: [e] }),
          })
          .then((r) => r.status),
      ),
    )
    expect(statuses).toEqual(sent.map(() => 200))
    const mine = new Set(sent.map((e) => e.message_id))
    const batches = (await bridgeLog('worker-entry'))
      .filter((a) => a.verified && a.batch?.events.some((e) => mine.has(e.message_id)))
      .map((a) => a.batch)
    expect(durableIds(batches).sort()).toEqual([...mine].sort())
    expect(batches.length).toBeLessThan(sent.length)
  })
})
