import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type ErrorJson, get, KEY_A, openTestEnv, type TestEnv } from './support.ts'

// A read that only its limit ends: it holds the one read slot while the route's query queues.
const HEAVY = {
  name: 'test.heavy',
  sql: 'SELECT count() AS c FROM numbers_mt({n:UInt64}) WHERE sipHash64(number) % 7 = 3',
  params: { n: 40_000_000_000 },
  row: z.object({ c: z.coerce.number() }),
  // Outlasts the route's 1 s deadline by far, so the route's read must time out in the queue.
  limits: { maxExecutionTimeS: 5 },
}

let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv({ reads: { maxConcurrentReads: 1, maxExecutionTimeS: 1, maxResultRows: 3 } })
})
afterAll(async () => {
  await env?.close()
})

async function expectError(res: Response, status: number, code: string): Promise<ErrorJson> {
  expect(res.status).toBe(status)
  const body = (await res.json()) as ErrorJson
  expect(body.error.code).toBe(code)
  expect(body.error.docs).toContain(`#${code}`)
  // A too-large query will be as large again: no Retry-After. 504 carries one by the shared
  // rule (429/503/504), since a timeout may pass once the engine is less busy.
  if (status === 422) expect(res.headers.get('retry-after')).toBeNull()
  else expect(res.headers.get('retry-after')).toMatch(/^[1-9]\d*$/)
  expect(body.error.message).not.toMatch(/SELECT|events|chdb/i)
  return body
}

describe('a query that hits a read limit', () => {
  it('answers 422 query_too_large when the result has more rows than allowed', async () => {
    // 10 daily buckets against a 3-row cap.
    const res = await get(
      env.app,
      '/v1/sites/site_a/trends?interval=day&from=2024-01-01T00:00:00Z&to=2024-01-11T00:00:00Z',
      KEY_A,
    )
    await expectError(res, 422, 'query_too_large')
  })

  it('answers 504 query_timeout when it cannot run within the time limit', async () => {
    const hog = env.warehouse.query(HEAVY).catch((err: unknown) => err)
    const started = Date.now()
    try {
      const res = await get(env.app, '/v1/sites/site_a/stats', KEY_A)
      await expectError(res, 504, 'query_timeout')
      expect(Date.now() - started).toBeLessThan(5_000)
    } finally {
      await hog
    }
  })

  it('keeps serving afterwards', async () => {
    const res = await get(
      env.app,
      '/v1/sites/site_a/stats?from=2024-01-01T00:00:00Z&to=2024-01-03T00:00:00Z',
      KEY_A,
    )
    expect(res.status).toBe(200)
  })
})
