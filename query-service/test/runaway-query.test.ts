import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ErrorJson, get, KEY_A, openTestEnv, type TestEnv } from './support.ts'

// The default read limits (no overrides): what `npm start` runs with.
let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv()
})
afterAll(async () => {
  await env?.close()
})

describe('the runaway trends query from the audit', () => {
  it('gets a fast 4xx/504 instead of growing the process to gigabytes', async () => {
    const started = Date.now()
    const rssBefore = process.memoryUsage.rss()
    const res = await get(
      env.app,
      '/v1/sites/site_a/trends?from=1969-12-31T12:00:00Z&to=1969-12-31T13:00:00Z&interval=day&tz=Pacific/Kiritimati',
      KEY_A,
    )
    const elapsed = Date.now() - started
    const grownMb = Math.round((process.memoryUsage.rss() - rssBefore) / 1e6)
    const body = (await res.json()) as ErrorJson
    console.log(
      `runaway trends: ${res.status} ${body.error?.code ?? 'ok'} in ${elapsed} ms, rss +${grownMb} MB`,
    )
    // Refused up front (400) once range checks apply, or stopped by a bound at run time.
    expect([400, 422, 504]).toContain(res.status)
    expect(elapsed).toBeLessThan(15_000)
    // Unbounded, the same request grew the hub past 11 GB; max_memory_usage is 512 MiB.
    expect(grownMb).toBeLessThan(2_000)
    // Still serving.
    expect((await get(env.app, '/v1/sites/site_a/stats', KEY_A)).status).toBe(200)
  })
})
