import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ErrorJson, get, KEY_A, openTestEnv, type TestEnv } from './support.ts'

let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv({ seed: false })
  // A real warehouse that has gone away: every query now fails the way an outage does.
  await env.warehouse.close()
})
afterAll(async () => {
  await env?.close().catch(() => {})
})

describe('when the warehouse cannot answer', () => {
  it.each(['stats', 'trends'])('/%s answers 503 warehouse_unavailable with Retry-After', async (route) => {
    const res = await get(env.app, `/v1/sites/site_a/${route}`, KEY_A)
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('5')
    const body = (await res.json()) as ErrorJson
    expect(body.error.code).toBe('warehouse_unavailable')
    // The engine's message stays in the log: it can echo SQL and internal names.
    expect(body.error.message).not.toMatch(/SELECT|events|chdb/i)
  })

  it('keeps serving: health stays up and the next request gets the same clean answer', async () => {
    expect((await env.app.request('/healthz')).status).toBe(200)
    expect((await get(env.app, '/v1/sites/site_a/stats', KEY_A)).status).toBe(503)
  })
})
