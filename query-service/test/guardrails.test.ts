import { insertRejected, type Warehouse } from '@sightline/warehouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertWatermark } from '../src/adapters/insert-watermark.ts'
import { FIXTURE_FROM, FIXTURE_TO, fixtureRow } from './fixture.ts'
import { type ErrorJson, get, KEY_A, KEY_B, KEY_BOTH, openTestEnv, post, type TestEnv } from './support.ts'

/**
 * The result cache (keyed by canonical spec + data watermark) and the per-read-key
 * concurrency limit, on chdb. Data is added through the watermark-tracked warehouse, as the
 * writer adds it in the hub.
 */

/** Holds every read until released, so a test can keep queries in flight on purpose. */
function holdable(warehouse: Warehouse) {
  let gate: Promise<void> | undefined
  let open: () => void = () => {}
  let waiting = 0
  const held = new Proxy(warehouse, {
    get(target, prop, receiver) {
      if (prop === 'query') {
        return async (...args: Parameters<Warehouse['query']>) => {
          if (gate !== undefined) {
            waiting++
            await gate
            waiting--
          }
          return target.query(...args)
        }
      }
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return {
    warehouse: held,
    hold() {
      gate = new Promise((resolve) => {
        open = resolve
      })
    },
    release() {
      gate = undefined
      open()
    },
    waiting: () => waiting,
  }
}

const watermark = insertWatermark()
let env: TestEnv
let tracked: Warehouse
let reads: ReturnType<typeof holdable>
let seq = 0

beforeAll(async () => {
  env = await openTestEnv({
    app: (warehouse) => {
      reads = holdable(warehouse)
      tracked = watermark.track(warehouse)
      return { watermark, warehouse: reads.warehouse, keyConcurrency: { maxInFlight: 3, retryAfterS: 2 } }
    },
  })
})
afterAll(() => env?.close())

const QUERY = '/v1/sites/site_a/query'
type Answer = { meta: { cache: string; elapsed_ms: number }; [field: string]: unknown }

async function ask(spec: Record<string, unknown>, key = KEY_A, site = 'site_a'): Promise<Answer> {
  const res = await post(env.app, `/v1/sites/${site}/query`, key, {
    from: FIXTURE_FROM,
    to: FIXTURE_TO,
    ...spec,
  })
  expect(res.status).toBe(200)
  return (await res.json()) as Answer
}

const without = ({ meta: _meta, ...body }: Answer) => body

async function addPageview(site = 'site_a'): Promise<void> {
  seq++
  await tracked.insert(
    'events',
    [fixtureRow('2024-01-02T09:00:00.000Z', site, `new-${seq}`, 'page', '$pageview', `new-${seq}`)],
    {
      dedupToken: `new-${seq}`,
    },
  )
}

describe('the result cache', () => {
  it('serves a repeated spec from the cache, and a differently written equal spec too', async () => {
    const spec = { kind: 'stats', include_bots: false }
    const first = await ask(spec)
    expect(first.meta.cache).toBe('miss')
    const second = await ask(spec)
    expect(second.meta.cache).toBe('hit')
    expect(without(second)).toEqual(without(first))
    // Same resolved spec: text flags, fields in another order, the GET convenience.
    expect((await ask({ include_bots: '0', kind: 'stats' })).meta.cache).toBe('hit')
    const viaGet = (await (
      await get(env.app, `/v1/sites/site_a/stats?to=${FIXTURE_TO}&from=${FIXTURE_FROM}`, KEY_A)
    ).json()) as Answer
    expect(viaGet.meta.cache).toBe('hit')
    expect(without(viaGet)).toEqual(without(first))
  })

  it('keeps specs that differ in anything apart: bots, range, site', async () => {
    await ask({ kind: 'stats' })
    expect((await ask({ kind: 'stats', include_bots: true })).meta.cache).toBe('miss')
    expect((await ask({ kind: 'stats', to: '2024-01-03' })).meta.cache).toBe('miss')
    const b = await ask({ kind: 'stats' }, KEY_BOTH, 'site_b')
    expect(b.meta.cache).toBe('miss')
    expect(b.events).toBe(1)
  })

  it.each([
    ['stats', {}],
    ['breakdown', { by: 'page' }],
    ['trends', {}],
    ['paths', {}],
    ['attribution', { conversion: { event: 'signup' } }],
  ])(
    'keeps %s specs apart by their cohort, and one cohort written two ways together',
    async (kind, extra) => {
      const cohort = { did: { event: 'pageview' }, from: '2024-01-01', to: '2024-01-03' }
      await ask({ kind, ...extra })
      expect((await ask({ kind, ...extra, cohort })).meta.cache).toBe('miss')
      expect((await ask({ kind, ...extra, cohort })).meta.cache).toBe('hit')
      // The same instant spelt out: the same resolved spec.
      const spelt = { ...cohort, from: '2024-01-01T00:00:00Z' }
      expect((await ask({ kind, ...extra, cohort: spelt })).meta.cache).toBe('hit')
      expect((await ask({ kind, ...extra, cohort: { ...cohort, to: '2024-01-02' } })).meta.cache).toBe('miss')
      const other = { ...cohort, did: { event: 'signup' } }
      expect((await ask({ kind, ...extra, cohort: other })).meta.cache).toBe('miss')
    },
  )

  it.each([
    ['stats', {}],
    ['funnel', { steps: [{ event: 'pageview' }, { event: 'signup' }] }],
    ['retention', { start: { event: 'pageview' } }],
  ])(
    'keeps %s specs apart by a person-property cohort, and one written two ways together',
    async (kind, extra) => {
      const has = { property: 'plan', op: 'is', value: 'pro' }
      await ask({ kind, ...extra })
      expect((await ask({ kind, ...extra, cohort: { has } })).meta.cache).toBe('miss')
      expect((await ask({ kind, ...extra, cohort: { has } })).meta.cache).toBe('hit')
      // `traits.plan` is the same trait: the same resolved spec.
      const spelt = { has: { ...has, property: 'traits.plan' } }
      expect((await ask({ kind, ...extra, cohort: spelt })).meta.cache).toBe('hit')
      expect((await ask({ kind, ...extra, cohort: { has: { ...has, value: 'team' } } })).meta.cache).toBe(
        'miss',
      )
      expect((await ask({ kind, ...extra, cohort: { has: { ...has, op: 'is_not' } } })).meta.cache).toBe(
        'miss',
      )
      expect((await ask({ kind, ...extra, cohort: { has: { ...has, property: 'tier' } } })).meta.cache).toBe(
        'miss',
      )
      const both = { did: { event: 'pageview' }, from: '2024-01-01', to: '2024-01-03', has }
      expect((await ask({ kind, ...extra, cohort: both })).meta.cache).toBe('miss')
      expect((await ask({ kind, ...extra, cohort: both })).meta.cache).toBe('hit')
    },
  )

  it.each([
    ['stats', {}, (a: Answer) => a.events],
    ['breakdown', { by: 'page' }, (a: Answer) => (a.rows as Array<{ visits: number }>)[0]!.visits],
    ['trends', { interval: 'day' }, (a: Answer) => (a.buckets as Array<{ count: number }>)[1]!.count],
  ] as const)(
    'never serves a %s answer computed before new events committed',
    async (kind, extra, metric) => {
      const spec = { kind, ...extra }
      const before = await ask(spec)
      expect((await ask(spec)).meta.cache).toBe('hit')
      await addPageview()
      const after = await ask(spec)
      expect(after.meta.cache).toBe('miss')
      expect(metric(after)).toBe((metric(before) as number) + 1)
      // The new answer is cached in turn, until the next commit.
      expect(without(await ask(spec))).toEqual(without(after))
    },
  )

  it('never serves a rejected answer computed before a dead letter committed', async () => {
    const spec = { kind: 'rejected', from: '2030-05-01', to: '2030-05-02' }
    const before = await ask(spec)
    expect((await ask(spec)).meta.cache).toBe('hit')
    await insertRejected(tracked, [
      {
        site_id: 'site_a',
        received_at: new Date('2030-05-01T10:00:00Z'),
        stage: 'edge',
        code: 'invalid_event',
        message: 'late refusal',
        payload: {},
      },
    ])
    const after = await ask(spec)
    expect(after.meta.cache).toBe('miss')
    expect(after.total).toBe((before.total as number) + 1)
  })

  it('files an answer that raced a commit under the older watermark, so the next request recomputes', async () => {
    const spec = { kind: 'stats', to: '2024-01-03T12:00:00Z' }
    reads.hold()
    const inFlight = ask(spec)
    await expect.poll(() => reads.waiting()).toBe(1)
    // The query has taken its key but not read yet: the rows land before it runs.
    await addPageview()
    reads.release()
    const raced = await inFlight
    expect(raced.meta.cache).toBe('miss')
    const next = await ask(spec)
    expect(next.meta.cache).toBe('miss')
    expect(next.events).toBe(raced.events)
  })

  it('caches neither explain answers nor refusals', async () => {
    const explained = (await (
      await post(env.app, QUERY, KEY_A, { kind: 'stats', explain: true })
    ).json()) as object
    expect(explained).toHaveProperty('sql')
    expect(explained).not.toHaveProperty('meta')
    const refused = await post(env.app, QUERY, KEY_A, { kind: 'stats', from: '2024-01-05', to: '2024-01-01' })
    expect(refused.status).toBe(400)
  })
})

describe('the per-read-key concurrency limit', () => {
  it('answers 429 + Retry-After beyond 3 in flight for one key, leaves other keys alone, and frees slots', async () => {
    reads.hold()
    // Distinct specs (different `to`), so none is a cache hit.
    const running = [1, 2, 3].map((n) => ask({ kind: 'stats', to: `2024-01-0${n + 4}` }))
    await expect.poll(() => reads.waiting()).toBe(3)
    const refused = await post(env.app, QUERY, KEY_A, { kind: 'stats', to: '2024-01-09' })
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('2')
    const body = (await refused.json()) as ErrorJson
    expect(body.error.code).toBe('rate_limited')
    expect(body.error.message).toMatch(/3 queries running/)
    expect(body.error.request_id).toBe(refused.headers.get('x-request-id'))
    // The SQL escape hatch shares the key's budget.
    expect((await post(env.app, '/v1/sites/site_a/sql', KEY_A, { sql: 'SELECT 1 AS one' })).status).toBe(429)
    // Another key is not held back by this one.
    const other = ask({ kind: 'stats', to: '2024-01-09' }, KEY_B, 'site_b')
    await expect.poll(() => reads.waiting()).toBe(4)
    reads.release()
    for (const answer of await Promise.all(running)) expect(answer.meta.cache).toBe('miss')
    expect((await other).events).toBe(1) // erin's page view
    // Slots are returned, on success and on failure alike.
    expect((await post(env.app, QUERY, KEY_A, { kind: 'stats', to: '2024-01-09' })).status).toBe(200)
    // One after another, more refusals than slots: each gives its slot back.
    for (let n = 0; n < 4; n++) {
      const refusedSpec = await post(env.app, QUERY, KEY_A, {
        kind: 'stats',
        from: '2024-01-09',
        to: '2024-01-01',
      })
      expect(refusedSpec.status).toBe(400)
    }
    expect((await post(env.app, QUERY, KEY_A, { kind: 'stats', to: '2024-01-10' })).status).toBe(200)
  })
})
