import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RejectedResponseSchema, StatsResponseSchema, TrendsResponseSchema } from '../src/openapi.ts'
import { RejectedQuery, StatsQuery, TrendsQuery } from '../src/routes/params.ts'
import { FIXTURE_FROM, FIXTURE_TO } from './fixture.ts'
import { get, KEY_A, openTestEnv, type TestEnv } from './support.ts'

let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv()
})
afterAll(async () => {
  await env?.close()
})

interface Doc {
  openapi: string
  paths: Record<string, { get: { parameters: Array<{ name: string; in: string }> } }>
}

async function doc(): Promise<Doc> {
  const res = await get(env.app, '/v1/openapi.json')
  expect(res.status).toBe(200)
  return (await res.json()) as Doc
}

describe('GET /v1/openapi.json', () => {
  it('is public OpenAPI 3.1 and lists every site route the app serves', async () => {
    const d = await doc()
    expect(d.openapi).toBe('3.1.0')
    const served = env.app.routes
      .filter((r) => r.method === 'GET' && r.path.startsWith('/v1/sites/:site/'))
      .map((r) => r.path.replace(':site', '{site}'))
    expect(Object.keys(d.paths).sort()).toEqual([...new Set(served)].sort())
  })

  it('documents exactly the query parameters each route accepts', async () => {
    const d = await doc()
    const expected: Record<string, string[]> = {
      '/v1/sites/{site}/stats': Object.keys(StatsQuery.shape),
      '/v1/sites/{site}/trends': Object.keys(TrendsQuery.shape),
      '/v1/sites/{site}/rejected': Object.keys(RejectedQuery.shape),
    }
    for (const [path, names] of Object.entries(expected)) {
      const query = d.paths[path]!.get.parameters.filter((p) => p.in === 'query').map((p) => p.name)
      expect(query.sort(), path).toEqual([...names].sort())
    }
  })

  it('describes the responses the routes really send (no missing or extra fields)', async () => {
    const range = `from=${FIXTURE_FROM}&to=${FIXTURE_TO}`
    const cases = [
      [`/v1/sites/site_a/stats?${range}`, StatsResponseSchema],
      [`/v1/sites/site_a/trends?${range}&interval=day`, TrendsResponseSchema],
      [`/v1/sites/site_a/rejected?${range}`, RejectedResponseSchema],
    ] as const
    for (const [path, schema] of cases) {
      const res = await get(env.app, path, KEY_A)
      expect(res.status, path).toBe(200)
      const body = await res.json()
      expect(() => schema.strict().parse(body), path).not.toThrow()
    }
  })

  it('is matched by docs/api.md, which describes every path', async () => {
    const page = readFileSync(join(import.meta.dirname, '../../docs/api.md'), 'utf8')
    for (const path of Object.keys((await doc()).paths)) {
      expect(page, path).toContain(`GET ${path.replace('{site}', ':site')}`)
    }
  })
})
