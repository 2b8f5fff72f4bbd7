import type { ReadStats, Warehouse } from '@sightline/warehouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertWatermark } from '../src/adapters/insert-watermark.ts'
import { ReadTally } from '../src/http/read-tally.ts'
import { FIXTURE_FROM, FIXTURE_TO, fixtureRow } from './fixture.ts'
import { get, KEY_A, openTestEnv, post, type TestEnv } from './support.ts'

/**
 * `meta.rows_read` / `meta.bytes_read`: what the engine read for an answer, on chdb, with the
 * result cache on (as the hub runs it). The warehouse is observed, not replaced: each read's
 * own report is recorded on its way to the route, so the test can check the route's sum.
 */

type Meta = { cache: string; elapsed_ms: number; source?: string; rows_read?: number; bytes_read?: number }
type Answer = { meta: Meta; [field: string]: unknown }

/** Records what every read of a request reported (by query name), then passes it on. */
function observed(warehouse: Warehouse) {
  const reports: Array<{ name: string; stats: ReadStats }> = []
  const wrapped = new Proxy(warehouse, {
    get(target, prop, receiver) {
      if (prop === 'query') {
        return (...[query, options]: Parameters<Warehouse['query']>) => {
          const onStats = options?.onStats
          if (onStats === undefined) return target.query(query, options)
          return target.query(query, {
            ...options,
            onStats: (stats) => {
              reports.push({ name: query.name, stats })
              onStats(stats)
            },
          })
        }
      }
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { wrapped, reports }
}

const watermark = insertWatermark()
let env: TestEnv
let tracked: Warehouse
let seen: ReturnType<typeof observed>

beforeAll(async () => {
  env = await openTestEnv({
    app: (warehouse) => {
      seen = observed(warehouse)
      tracked = watermark.track(warehouse)
      return { watermark, warehouse: seen.wrapped }
    },
  })
})
afterAll(() => env?.close())

async function ask(spec: Record<string, unknown>): Promise<Answer> {
  const res = await post(env.app, '/v1/sites/site_a/query', KEY_A, {
    from: FIXTURE_FROM,
    to: FIXTURE_TO,
    ...spec,
  })
  expect(res.status).toBe(200)
  return (await res.json()) as Answer
}

const total = (reports: ReadonlyArray<{ stats: ReadStats }>) => ({
  rowsRead: reports.reduce((sum, r) => sum + r.stats.rowsRead, 0),
  bytesRead: reports.reduce((sum, r) => sum + r.stats.bytesRead, 0),
})

describe('meta.rows_read and meta.bytes_read', () => {
  it('say what a computed answer read, are absent on a hit, and grow with the data', async () => {
    const spec = { kind: 'stats', to: '2024-01-03T00:00:00Z' }
    seen.reports.length = 0
    const miss = await ask(spec)
    expect(miss.meta.cache).toBe('miss')
    expect(miss.meta.rows_read).toBeGreaterThan(0)
    expect(miss.meta.bytes_read).toBeGreaterThan(miss.meta.rows_read!)
    // Exactly what the engine reported for the answer's statements.
    expect(seen.reports.length).toBeGreaterThan(0)
    const reported = total(seen.reports)
    expect({ rowsRead: miss.meta.rows_read, bytesRead: miss.meta.bytes_read }).toEqual(reported)

    // A hit read nothing from the engine: like `source`, the cost is absent rather than the
    // cost of the computation that filled the cache (that one was the miss above).
    seen.reports.length = 0
    const hit = await ask(spec)
    expect(hit.meta.cache).toBe('hit')
    expect(hit.meta).not.toHaveProperty('rows_read')
    expect(hit.meta).not.toHaveProperty('bytes_read')
    expect(hit.meta).not.toHaveProperty('source')
    expect(seen.reports).toEqual([])

    // New events commit: the next answer is computed again and reads the new rows too.
    await tracked.insert(
      'events',
      Array.from({ length: 50 }, (_, i) =>
        fixtureRow('2024-01-02T09:00:00.000Z', 'site_a', `cost-${i}`, 'page', '$pageview', `cost-${i}`),
      ),
      { dedupToken: 'cost-batch' },
    )
    const after = await ask(spec)
    expect(after.meta.cache).toBe('miss')
    expect(after.meta.rows_read).toBeGreaterThanOrEqual(miss.meta.rows_read! + 50)
  })

  it('sum every statement an answer runs (a matches filter adds its preflight)', async () => {
    seen.reports.length = 0
    const answer = await ask({
      kind: 'breakdown',
      by: 'page',
      filters: [{ dimension: 'page', op: 'matches', value: '^/p' }],
    })
    expect(answer.meta.cache).toBe('miss')
    expect(seen.reports.map((r) => r.name)).toEqual(['insight.breakdown.preflight', 'insight.breakdown'])
    expect({ rowsRead: answer.meta.rows_read, bytesRead: answer.meta.bytes_read }).toEqual(
      total(seen.reports),
    )
    expect(answer.meta.rows_read).toBeGreaterThan(seen.reports[0]!.stats.rowsRead)
  })

  it('are the same through the GET convenience', async () => {
    const res = await get(
      env.app,
      `/v1/sites/site_a/events?from=${FIXTURE_FROM}&to=2024-01-02T12:00:00Z`,
      KEY_A,
    )
    expect(res.status).toBe(200)
    const { meta } = (await res.json()) as Answer
    expect(meta.cache).toBe('miss')
    expect(meta.rows_read).toBeGreaterThan(0)
    expect(Number.isInteger(meta.bytes_read)).toBe(true)
  })
})

describe('ReadTally', () => {
  it('sums the statements it tracked and has no total while one has not reported', () => {
    const tally = new ReadTally()
    expect(tally.total()).toEqual({ rowsRead: 0, bytesRead: 0 })
    const first = tally.track()
    const second = tally.track()
    first({ rowsRead: 10, bytesRead: 80 })
    // A sum without the second statement would undercount the answer.
    expect(tally.total()).toBeUndefined()
    second({ rowsRead: 5, bytesRead: 40 })
    expect(tally.total()).toEqual({ rowsRead: 15, bytesRead: 120 })
  })
})
