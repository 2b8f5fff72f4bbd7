import { responseContractProblems } from '@sightline/http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { get, KEY_A, KEY_B, openTestEnv, type TestEnv } from './support.ts'

let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv({ seed: false })
})
afterAll(async () => {
  await env?.close().catch(() => {})
})

// Every error path of the query service through the one contract check every service shares.
describe('query-service error contract', () => {
  const cases: Array<[string, () => Promise<Response>]> = [
    ['no read key', () => get(env.app, '/v1/sites/site_a/stats')],
    ['unknown read key', () => get(env.app, '/v1/sites/site_a/stats', 'rk_nope')],
    ['another site', () => get(env.app, '/v1/sites/site_a/stats', KEY_B)],
    ['invalid query', () => get(env.app, '/v1/sites/site_a/trends?interval=fortnight', KEY_A)],
    ['unknown route', () => get(env.app, '/v2/nowhere', KEY_A)],
  ]
  it.each(cases)('%s', async (_name, send) => {
    const res = await send()
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(await responseContractProblems(res)).toEqual([])
  })

  // Last: it takes the warehouse away for good.
  it('warehouse unavailable', async () => {
    await env.warehouse.close()
    const res = await get(env.app, '/v1/sites/site_a/stats', KEY_A)
    expect(res.status).toBe(503)
    expect(await responseContractProblems(res)).toEqual([])
  })
})
