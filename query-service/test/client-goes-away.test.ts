import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineInsight } from '../src/insights/define.ts'
import { explainParam } from '../src/insights/params.ts'
import { INSIGHTS } from '../src/insights/registry.ts'
import { compile, sql } from '../src/sql/fragment.ts'
import { KEY_A, openTestEnv, type TestEnv } from './support.ts'

// The audit's runaway trends request is refused before it runs now (a 400), so a slow query
// comes from a test-only kind registered beside the real ones: seconds of real engine work.
const slow = defineInsight({
  kind: 'slow',
  summary: 'test only: seconds of engine work',
  params: z.strictObject({ ...explainParam }),
  resolve: () => ({ spec: {} }),
  plan: () => compile(sql`SELECT count() AS n FROM numbers_mt(100000000000) WHERE sipHash64(number) % 7 = 3`),
  row: z.object({ n: z.coerce.number() }),
  respond: (_spec, rows) => ({ n: rows[0]?.n ?? 0 }),
  response: z.object({ n: z.number() }),
})
const RUNAWAY = '/v1/sites/site_a/slow'

let env: TestEnv
let server: ReturnType<typeof serve>
let base: string
beforeAll(async () => {
  env = await openTestEnv({
    reads: { maxMemoryBytes: 1024 ** 3, maxExecutionTimeS: 3 },
    app: { insights: [...INSIGHTS, slow] },
  })
  server = serve({ fetch: env.app.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise((resolve) => server.once('listening', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve))
  await env?.close()
})

const auth = { authorization: `Bearer ${KEY_A}` }

async function timed(path: string): Promise<{ status: number; ms: number }> {
  const started = Date.now()
  const res = await fetch(`${base}${path}`, { headers: auth })
  await res.arrayBuffer()
  return { status: res.status, ms: Date.now() - started }
}

describe('a client that goes away mid-query', () => {
  it('has its query killed, so the next request does not wait for it', async () => {
    // How long the runaway request holds the engine when nobody cancels it.
    const alone = await timed(RUNAWAY)
    const controller = new AbortController()
    const abandoned = fetch(`${base}${RUNAWAY}`, { headers: auth, signal: controller.signal }).catch(
      (err: unknown) => err,
    )
    await new Promise((resolve) => setTimeout(resolve, 300))
    controller.abort()
    await abandoned
    // One read runs at a time embedded: this waits for the runaway unless it was killed.
    const next = await timed('/v1/sites/site_a/stats')
    console.log(
      `runaway alone: ${alone.status} in ${alone.ms} ms; stats right after an abandoned one: ${next.ms} ms`,
    )
    expect(alone.ms).toBeGreaterThan(1_000)
    expect(next.status).toBe(200)
    expect(next.ms).toBeLessThan(alone.ms / 2)
  })
})
