import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { INSIGHTS } from '../src/insights/registry.ts'
import type { Planned } from '../src/sql/fragment.ts'
import { FIXTURE_FROM, FIXTURE_TO } from './fixture.ts'
import { type ErrorJson, get, KEY_A, KEY_B, openTestEnv, post, type TestEnv } from './support.ts'

let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv()
})
afterAll(async () => {
  await env?.close()
})

const QUERY = '/v1/sites/site_a/query'

async function error(res: Response, status: number, code: string): Promise<string> {
  expect(res.status).toBe(status)
  const body = (await res.json()) as ErrorJson
  expect(body.error.code).toBe(code)
  return body.error.message
}

describe('POST /v1/sites/:site/query', () => {
  it.each([
    ['stats', { include_bots: true }, 'include_bots=true'],
    [
      'trends',
      { interval: 'day', tz: 'America/New_York', event: 'signup' },
      'interval=day&tz=America/New_York&event=signup',
    ],
    ['rejected', {}, ''],
  ] as const)('a %s spec answers exactly what the GET convenience answers', async (kind, extra, query) => {
    const res = await post(env.app, QUERY, KEY_A, { kind, from: FIXTURE_FROM, to: FIXTURE_TO, ...extra })
    expect(res.status).toBe(200)
    const viaGet = await get(
      env.app,
      `/v1/sites/site_a/${kind}?from=${FIXTURE_FROM}&to=${FIXTURE_TO}&${query}`,
      KEY_A,
    )
    // `meta` describes each answer (its own elapsed time), so it is compared apart.
    const { meta, ...body } = (await res.json()) as { meta: unknown }
    const { meta: getMeta, ...getBody } = (await viaGet.json()) as { meta: unknown }
    expect(body).toEqual(getBody)
    // Both entries read the same source (trends may come from the rollup, ADR 0025).
    const source = expect.stringMatching(/^(events|rollup)$/)
    const cost = { rows_read: expect.any(Number), bytes_read: expect.any(Number) }
    expect(meta).toEqual({ cache: 'off', elapsed_ms: expect.any(Number), source, ...cost })
    // The second run may read less: the engine's query condition cache skips granules the first
    // run found without a match.
    expect(getMeta).toEqual({ ...(meta as object), elapsed_ms: expect.any(Number), ...cost })
  })

  it('counts the hand-worked fixture (stats with bots: 8 events, 5 pageviews, 4 visitors)', async () => {
    const res = await post(env.app, QUERY, KEY_A, {
      kind: 'stats',
      from: FIXTURE_FROM,
      to: FIXTURE_TO,
      include_bots: true,
    })
    expect(await res.json()).toMatchObject({ events: 8, pageviews: 5, visitors: 4 })
  })

  it('explains a spec like the GET routes do', async () => {
    const res = await post(env.app, QUERY, KEY_A, {
      kind: 'stats',
      from: '2024-01-01',
      to: '2024-01-04',
      explain: true,
    })
    const body = (await res.json()) as Planned
    expect(body.params).toEqual({
      site: 'site_a',
      from: '2024-01-01 00:00:00.000',
      to: '2024-01-04 00:00:00.000',
      // The previous period of equal length, and the visit timeout (docs/metrics.md).
      previous_from: '2023-12-29 00:00:00.000',
      session_timeout_ms: 1_800_000,
    })
  })

  it('refuses an unknown kind, unknown fields and wrong types with the field named', async () => {
    expect(await error(await post(env.app, QUERY, KEY_A, { kind: 'nope' }), 400, 'invalid_query')).toContain(
      `kind: expected one of ${INSIGHTS.map((i) => i.kind).join(', ')}`,
    )
    expect(await error(await post(env.app, QUERY, KEY_A, {}), 400, 'invalid_query')).toMatch(/kind:/)
    expect(
      await error(
        await post(env.app, QUERY, KEY_A, { kind: 'stats', intreval: 'day' }),
        400,
        'invalid_query',
      ),
    ).toMatch(/unknown parameter\(s\): intreval/)
    expect(
      await error(await post(env.app, QUERY, KEY_A, { kind: 'trends', interval: 7 }), 400, 'invalid_query'),
    ).toMatch(/interval:/)
    expect(await error(await post(env.app, QUERY, KEY_A, [1, 2]), 400, 'invalid_query')).toMatch(
      /JSON object/,
    )
  })

  it('refuses a body that is not JSON, and one over 16 KB before parsing it', async () => {
    await error(await post(env.app, QUERY, KEY_A, '{"kind": '), 400, 'invalid_json')
    const huge = JSON.stringify({ kind: 'stats', padding: 'x'.repeat(20_000) })
    await error(await post(env.app, QUERY, KEY_A, huge), 413, 'payload_too_large')
  })

  it('checks the read key against the site first', async () => {
    await error(await post(env.app, QUERY, undefined, { kind: 'stats' }), 401, 'missing_read_key')
    await error(await post(env.app, QUERY, KEY_B, { kind: 'stats' }), 403, 'forbidden_site')
  })
})
