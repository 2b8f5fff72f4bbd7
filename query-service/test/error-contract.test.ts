import { responseContractProblems } from '@sightline/http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { get, KEY_A, KEY_B, openTestEnv, post, type TestEnv } from './support.ts'

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
    ['range outside 1970–2106', () => get(env.app, '/v1/sites/site_a/stats?from=1950-01-01', KEY_A)],
    ['spec that is not JSON', () => post(env.app, '/v1/sites/site_a/query', KEY_A, '{')],
    ['unknown kind', () => post(env.app, '/v1/sites/site_a/query', KEY_A, { kind: 'nope' })],
    ['spec over 16 KB', () => post(env.app, '/v1/sites/site_a/query', KEY_A, 'x'.repeat(20_000))],
    [
      'failed-key budget spent (429)',
      async () => {
        const guess = () =>
          env.app.request('/v1/sites/site_a/stats', {
            headers: { authorization: 'Bearer rk_guess_0000000000', 'x-test-client': 'contract-guesser' },
          })
        for (let i = 0; i < 20; i++) await guess()
        return guess()
      },
    ],
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
