import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqlRows } from '@sightline/testing/sql'
import { openWarehouse } from '@sightline/warehouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  launcherPorts,
  type RunningSightline,
  startSightline,
} from '../../../launcher/test/launcher-harness.ts'
import { type DropReport, Sightline, type SightlineOptions } from '../src/index.ts'
import { type FlakyEdge, startFlakyEdge } from './flaky-edge.ts'

// The Node SDK against a real Sightline (launcher → wrangler dev / workerd edge → hub with
// bridge, writer and chdb), through a proxy that can make the edge answer 503 or 429 on demand.
// Every delivered message id is checked in ClickHouse at the end, after the stack stops.
const dataDir = mkdtempSync(join(tmpdir(), 'sightline-sdk-node-'))
const run = crypto.randomUUID().slice(0, 8)
let running: RunningSightline | undefined
let edge: FlakyEdge
let writeKey: string
/** Message ids the edge accepted (and so must be in ClickHouse exactly once). */
const delivered = new Set<string>()
/** Message ids the SDK dropped (and so must not be). */
const dropped = new Set<string>()

beforeAll(async () => {
  running = await startSightline(dataDir, await launcherPorts())
  writeKey = running.endpoints.sites[0]!.write_key
  edge = await startFlakyEdge(running.endpoints.edge)
})

afterAll(async () => {
  await running?.stop()
  await edge?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

function client(options: Partial<SightlineOptions> = {}, drops: DropReport[] = []): Sightline {
  return new Sightline({
    writeKey,
    host: edge.url,
    retryBaseMs: 100,
    onDrop: (d) => {
      drops.push(d)
      for (const e of d.events) dropped.add(e.message_id)
    },
    ...options,
  })
}

/** The POSTs the proxy saw since `from`, with the message ids each carried. */
function postsSince(from: number) {
  return edge.log
    .slice(from)
    .filter((r) => r.method === 'POST')
    .map((r) => {
      const ids = (JSON.parse(r.body).batch as { message_id: string }[]).map((e) => e.message_id)
      if (r.status === 200) for (const id of ids) delivered.add(id)
      return { ...r, ids }
    })
}

const id = (name: string) => `${run}-${name}`

describe('Node SDK against a running Sightline', () => {
  it('batches by size: at most maxBatchSize events per request, gzip-compressed', async () => {
    const from = edge.log.length
    const sdk = client({ flushAt: 5, maxBatchSize: 5 })
    for (let i = 0; i < 12; i++) {
      sdk.track({ event: 'Batched', userId: 'u-1', messageId: id(`batch-${i}`), properties: { i } })
    }
    await sdk.flush()
    const posts = postsSince(from)
    expect(posts.map((p) => p.ids.length)).toEqual([5, 5, 2])
    expect(posts.every((p) => p.gzip && p.status === 200)).toBe(true)
    expect(sdk.stats()).toMatchObject({ sent: 12, queued: 0, retries: 0 })
    await sdk.shutdown()
  })

  it('batches by time: fewer than flushAt events go when the interval passes', async () => {
    const from = edge.log.length
    const sdk = client({ flushAt: 5, flushIntervalMs: 400 })
    sdk.track({ event: 'Timed', userId: 'u-1', messageId: id('timed-0') })
    sdk.track({ event: 'Timed', userId: 'u-1', messageId: id('timed-1') })
    await new Promise((r) => setTimeout(r, 150))
    expect(postsSince(from)).toEqual([])
    await new Promise((r) => setTimeout(r, 650))
    expect(postsSince(from).map((p) => p.ids)).toEqual([[id('timed-0'), id('timed-1')]])
    await sdk.shutdown()
  })

  it('sends every call type with its fields', async () => {
    const from = edge.log.length
    const sdk = client()
    sdk.track({ event: 'Order Paid', userId: 'u-2', messageId: id('track'), properties: { total: 42 } })
    sdk.page({
      anonymousId: 'a-2',
      name: 'Pricing',
      messageId: id('page'),
      context: { page: { path: '/p' } },
    })
    sdk.identify({ userId: 'u-2', traits: { plan: 'pro' }, messageId: id('identify') })
    sdk.alias({ userId: 'u-2', previousId: 'a-2', messageId: id('alias') })
    sdk.group({ userId: 'u-2', groupId: 'g-2', traits: { seats: 5 }, messageId: id('group') })
    await sdk.flush()
    expect(postsSince(from).map((p) => p.status)).toEqual([200])
    await sdk.shutdown()
  })

  it('retries through a failing edge (503 three times) with growing backoff, then delivers', async () => {
    const from = edge.log.length
    edge.failNext(3, 503)
    const sdk = client()
    sdk.track({ event: 'Retried', userId: 'u-3', messageId: id('retried') })
    await sdk.flush()
    const posts = postsSince(from)
    expect(posts.map((p) => p.status)).toEqual([503, 503, 503, 200])
    expect(posts.every((p) => p.ids[0] === id('retried'))).toBe(true)
    // Equal jitter: waits in [50,100], [100,200], [200,400] ms for base 100.
    const gaps = posts.slice(1).map((p, i) => p.at - posts[i]!.at)
    expect(gaps[0]).toBeGreaterThanOrEqual(45)
    expect(gaps[2]).toBeGreaterThanOrEqual(195)
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!)
    expect(sdk.stats()).toMatchObject({ sent: 1, retries: 3 })
    await sdk.shutdown()
  })

  it('waits as long as Retry-After says (429 with Retry-After: 2)', async () => {
    const from = edge.log.length
    edge.failNext(1, 429, 2)
    const sdk = client({ retryBaseMs: 10 })
    sdk.track({ event: 'Rate Limited', userId: 'u-4', messageId: id('retry-after') })
    await sdk.flush()
    const posts = postsSince(from)
    expect(posts.map((p) => p.status)).toEqual([429, 200])
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(1_950)
    await sdk.shutdown()
  })

  it('drops and reports a batch once retries are exhausted', async () => {
    const drops: DropReport[] = []
    edge.failNext(3, 503)
    const sdk = client({ maxRetries: 2 }, drops)
    sdk.track({ event: 'Given Up', userId: 'u-5', messageId: id('given-up') })
    await sdk.flush()
    expect(drops.map((d) => [d.reason, d.events.length])).toEqual([['retries_exhausted', 1]])
    expect(sdk.stats().dropped.retries_exhausted).toBe(1)
    edge.failNext(0, 503)
    await sdk.shutdown()
  })

  it('reports the events the edge rejects and keeps the rest of the batch', async () => {
    const drops: DropReport[] = []
    const from = edge.log.length
    const sdk = client({}, drops)
    sdk.track({ event: 'Fine', userId: 'u-6', messageId: id('fine') })
    sdk.track({ event: 'x'.repeat(300), userId: 'u-6', messageId: id('too-long-name') })
    await sdk.flush()
    postsSince(from)
    expect(drops).toHaveLength(1)
    expect(drops[0]).toMatchObject({ reason: 'rejected', code: 'invalid_event' })
    expect(drops[0]!.events[0]!.message_id).toBe(id('too-long-name'))
    expect(sdk.stats()).toMatchObject({ sent: 1, dropped: { rejected: 1 } })
    // The edge kept the good one; only the accepted ids count as delivered.
    delivered.delete(id('too-long-name'))
    await sdk.shutdown()
  })

  it('bounds the queue, counting and reporting what it had to drop', async () => {
    const drops: DropReport[] = []
    const sdk = client({ maxQueueSize: 3, flushAt: 100, flushIntervalMs: 60_000 }, drops)
    for (let i = 0; i < 5; i++) sdk.track({ event: 'Bounded', userId: 'u-7', messageId: id(`bounded-${i}`) })
    expect(sdk.stats()).toMatchObject({ queued: 3, dropped: { queue_full: 2 } })
    expect(drops.flatMap((d) => d.events.map((e) => e.message_id))).toEqual([
      id('bounded-3'),
      id('bounded-4'),
    ])
    const from = edge.log.length
    await sdk.shutdown()
    expect(postsSince(from).flatMap((p) => p.ids)).toEqual([
      id('bounded-0'),
      id('bounded-1'),
      id('bounded-2'),
    ])
  })

  it('flushes everything on shutdown, retries included, and refuses calls after it', async () => {
    const drops: DropReport[] = []
    const from = edge.log.length
    edge.failNext(1, 503, 1)
    const sdk = client({ flushAt: 100, flushIntervalMs: 60_000 }, drops)
    for (let i = 0; i < 7; i++) sdk.track({ event: 'At Exit', userId: 'u-8', messageId: id(`exit-${i}`) })
    expect(sdk.stats().queued).toBe(7)
    await sdk.shutdown(20_000)
    const posts = postsSince(from)
    expect(posts.map((p) => [p.status, p.ids.length])).toEqual([
      [503, 7],
      [200, 7],
    ])
    sdk.track({ event: 'Too Late', userId: 'u-8', messageId: id('too-late') })
    expect(drops.map((d) => d.reason)).toEqual(['shutdown'])
    expect(sdk.stats()).toMatchObject({ sent: 7, queued: 0, dropped: { shutdown: 1 } })
  })

  it('gives up at the shutdown deadline and counts what is left as dropped', async () => {
    const drops: DropReport[] = []
    edge.failNext(50, 503, 5)
    const sdk = client({ flushAt: 100 }, drops)
    sdk.track({ event: 'Stuck', userId: 'u-9', messageId: id('stuck') })
    const started = Date.now()
    await sdk.shutdown(1_000)
    expect(Date.now() - started).toBeLessThan(2_500)
    expect(drops.map((d) => d.reason)).toEqual(['shutdown'])
    expect(sdk.stats().dropped.shutdown).toBe(1)
    edge.failNext(0, 503)
  })

  it('lands every delivered event in ClickHouse exactly once, and no dropped one', async () => {
    expect(delivered.size).toBe(12 + 2 + 5 + 1 + 1 + 1 + 3 + 7)
    expect(await running!.stop()).toBe(0)
    running = undefined
    const warehouse = await openWarehouse({
      mode: 'embedded',
      path: join(dataDir, 'chdb'),
      database: 'sightline',
    })
    const rows = await sqlRows<{ message_id: string; type: string; library_name: string }>(
      warehouse,
      `SELECT message_id, type, library_name FROM events WHERE startsWith(message_id, '${run}')`,
    )
    await warehouse.close()
    const ids = rows.map((r) => r.message_id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(new Set(ids)).toEqual(delivered)
    for (const d of dropped) expect(ids).not.toContain(d)
    expect(new Set(rows.map((r) => r.library_name))).toEqual(new Set(['sightline-node']))
    expect(rows.filter((r) => r.message_id.endsWith('-group')).map((r) => r.type)).toEqual(['group'])
  })
})
