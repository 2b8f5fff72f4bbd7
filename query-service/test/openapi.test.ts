import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_READ_LIMITS as DEFAULT_QUERY_LIMITS } from '@sightline/warehouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_AUTH_THROTTLE } from '../src/app.ts'
import { AnswerMetaSchema } from '../src/http/answer-meta.ts'
import { IngestQuerySchema, IngestResponseSchema } from '../src/http/ingest-route.ts'
import { PersonQuerySchema, PersonResponseSchema } from '../src/http/person-route.ts'
import { AttributionResponseSchema } from '../src/insights/attribution.ts'
import { BreakdownResponseSchema } from '../src/insights/breakdown.ts'
import { EventNamesResponseSchema } from '../src/insights/event-names.ts'
import { FunnelResponseSchema } from '../src/insights/funnel.ts'
import { FunnelPersonsResponseSchema } from '../src/insights/funnel-persons.ts'
import { WINDOW_END, WINDOW_START } from '../src/insights/params.ts'
import { PathsResponseSchema } from '../src/insights/paths.ts'
import { INSIGHTS } from '../src/insights/registry.ts'
import { RejectedResponseSchema } from '../src/insights/rejected.ts'
import { RetentionResponseSchema } from '../src/insights/retention.ts'
import { StatsResponseSchema } from '../src/insights/stats.ts'
import { earliestFrom, INTERVALS, MAX_BUCKETS, TrendsResponseSchema } from '../src/insights/trends.ts'
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
  paths: Record<string, Record<string, { parameters: Array<{ name: string; in: string }> }>>
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
    // Middleware is registered as method ALL; every real route (GET conveniences, POST query) counts.
    const served = env.app.routes
      .filter((r) => r.method !== 'ALL' && (r.path === '/v1/sites' || r.path.startsWith('/v1/sites/:site/')))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(':site', '{site}').replace(':id', '{id}')}`)
    const documented = Object.entries(d.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    )
    expect(documented.sort()).toEqual([...new Set(served)].sort())
  })

  it('documents exactly the query parameters each route accepts', async () => {
    const d = await doc()
    const expected = Object.fromEntries(
      INSIGHTS.map((insight) => [`/v1/sites/{site}/${insight.kind}`, Object.keys(insight.params.shape)]),
    )
    expect(Object.keys(expected).sort()).toEqual([
      '/v1/sites/{site}/attribution',
      '/v1/sites/{site}/breakdown',
      '/v1/sites/{site}/events',
      '/v1/sites/{site}/funnel',
      '/v1/sites/{site}/funnel_persons',
      '/v1/sites/{site}/paths',
      '/v1/sites/{site}/rejected',
      '/v1/sites/{site}/retention',
      '/v1/sites/{site}/stats',
      '/v1/sites/{site}/trends',
    ])
    expected['/v1/sites/{site}/persons/{id}'] = Object.keys(PersonQuerySchema.shape)
    expected['/v1/sites/{site}/ingest'] = Object.keys(IngestQuerySchema.shape)
    for (const [path, names] of Object.entries(expected)) {
      const query = d.paths[path]!.get!.parameters.filter((p) => p.in === 'query').map((p) => p.name)
      expect(query.sort(), path).toEqual([...names].sort())
    }
  })

  it('describes the responses the routes really send (no missing or extra fields)', async () => {
    const range = `from=${FIXTURE_FROM}&to=${FIXTURE_TO}`
    const FUNNEL = encodeURIComponent(JSON.stringify([{ event: 'pageview' }, { event: 'signup' }]))
    const START = encodeURIComponent(JSON.stringify({ event: 'pageview' }))
    const cases = [
      [`/v1/sites/site_a/stats?${range}`, StatsResponseSchema],
      [`/v1/sites/site_a/trends?${range}&interval=day`, TrendsResponseSchema],
      [`/v1/sites/site_a/rejected?${range}`, RejectedResponseSchema],
      [`/v1/sites/site_a/breakdown?${range}&by=page`, BreakdownResponseSchema],
      [`/v1/sites/site_a/events?${range}`, EventNamesResponseSchema],
      [`/v1/sites/site_a/funnel?${range}&steps=${FUNNEL}&breakdown=page&interval=day`, FunnelResponseSchema],
      [`/v1/sites/site_a/funnel_persons?${range}&steps=${FUNNEL}&step=2`, FunnelPersonsResponseSchema],
      [`/v1/sites/site_a/retention?${range}&start=${START}&period=day`, RetentionResponseSchema],
      [`/v1/sites/site_a/paths?${range}&step_type=event`, PathsResponseSchema],
      [
        `/v1/sites/site_a/attribution?${range}&conversion=${encodeURIComponent('{"event":"signup"}')}&data_driven_min_conversions=1`,
        AttributionResponseSchema,
      ],
    ] as const
    for (const [path, schema] of cases) {
      const res = await get(env.app, path, KEY_A)
      expect(res.status, path).toBe(200)
      const body = await res.json()
      expect(
        () => schema.extend({ meta: AnswerMetaSchema.strict() }).strict().parse(body),
        path,
      ).not.toThrow()
    }
    // The person route is a record, not an insight answer: no cache, no `meta`.
    const person = await get(env.app, '/v1/sites/site_a/persons/anon-alice', KEY_A)
    expect(person.status).toBe(200)
    const record = await person.json()
    expect(() => PersonResponseSchema.strict().parse(record)).not.toThrow()
    // Ingest health is computed each time: no cache, no `meta` either.
    const ingest = await get(env.app, `/v1/sites/site_a/ingest?${range}&interval=day`, KEY_A)
    expect(ingest.status).toBe(200)
    const health = await ingest.json()
    expect(() => IngestResponseSchema.strict().parse(health)).not.toThrow()
  })

  it('is matched by docs/api.md, which describes every path', async () => {
    const page = readFileSync(join(import.meta.dirname, '../../docs/api.md'), 'utf8')
    for (const [path, item] of Object.entries((await doc()).paths)) {
      for (const method of Object.keys(item)) {
        expect(page, path).toContain(
          `${method.toUpperCase()} ${path.replace('{site}', ':site').replace('{id}', ':id')}`,
        )
      }
    }
    // Every registered kind has its worked example for the query endpoint too.
    for (const insight of INSIGHTS) expect(page, insight.kind).toContain(`"kind": "${insight.kind}"`)
  })

  it('docs/api.md states the limits the code enforces', () => {
    // Line breaks in the prose are insignificant.
    const page = readFileSync(join(import.meta.dirname, '../../docs/api.md'), 'utf8').replace(/\s+/g, ' ')
    const isoSeconds = (d: Date) => d.toISOString().replace('.000Z', 'Z')
    expect(page).toContain(`**${isoSeconds(WINDOW_START)} – ${isoSeconds(WINDOW_END)}**`)
    expect(page).toContain(`more than ${MAX_BUCKETS.toLocaleString('en')} buckets`)
    for (const interval of INTERVALS) {
      const earliest = earliestFrom(interval).toISOString()
      const shown = earliest.endsWith('T00:00:00.000Z')
        ? earliest.slice(0, 10)
        : isoSeconds(earliestFrom(interval))
      expect(page, interval).toContain(`${interval} ≥ \`${shown}\``)
    }
    expect(page).toContain(`(default ${DEFAULT_QUERY_LIMITS.maxExecutionTimeS} s)`)
    expect(page).toContain('`QUERY_MAX_MEMORY_BYTES` (default 512 MiB)')
    expect(DEFAULT_QUERY_LIMITS.maxMemoryBytes).toBe(512 * 1024 ** 2)
    expect(page).toContain(
      `\`QUERY_MAX_RESULT_ROWS\` (default ${DEFAULT_QUERY_LIMITS.maxResultRows.toLocaleString('en')})`,
    )
    expect(page).toContain(
      `default ${DEFAULT_AUTH_THROTTLE.burst}, refilling one every \`QUERY_AUTH_FAILURE_REFILL_S\`, default ${DEFAULT_AUTH_THROTTLE.refillS} s`,
    )
  })
})
