import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StatsResponse } from '../src/insights/stats.ts'
import { FIXTURE_FROM, FIXTURE_TO } from './fixture.ts'
import {
  type ErrorJson,
  get,
  HOSTILE_SITE,
  KEY_A,
  KEY_B,
  KEY_HOSTILE,
  openTestEnv,
  type TestEnv,
} from './support.ts'

let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv()
})
afterAll(async () => {
  await env?.close()
})

const range = `from=${FIXTURE_FROM}&to=${FIXTURE_TO}`

async function expectError(res: Response, status: number, code: string): Promise<ErrorJson> {
  expect(res.status).toBe(status)
  const body = (await res.json()) as ErrorJson
  expect(body.error.code).toBe(code)
  expect(body.error.docs).toMatch(new RegExp(`errors\\.md#${code}$`))
  expect(body.error.request_id).toBe(res.headers.get('x-request-id'))
  return body
}

describe.each(['stats', 'trends'])('read keys on /v1/sites/:site/%s', (route) => {
  it('401 missing_read_key without an Authorization header', async () => {
    await expectError(await get(env.app, `/v1/sites/site_a/${route}?${range}`), 401, 'missing_read_key')
  })

  it('401 missing_read_key for a non-Bearer scheme', async () => {
    const res = await env.app.request(`/v1/sites/site_a/${route}`, {
      headers: { authorization: `Basic ${KEY_A}` },
    })
    await expectError(res, 401, 'missing_read_key')
  })

  it('401 unknown_read_key for a key nobody issued', async () => {
    await expectError(
      await get(env.app, `/v1/sites/site_a/${route}`, 'rk_not_a_real_key_0000'),
      401,
      'unknown_read_key',
    )
  })

  it("403 forbidden_site for another site's key", async () => {
    await expectError(await get(env.app, `/v1/sites/site_a/${route}?${range}`, KEY_B), 403, 'forbidden_site')
  })

  it('403 forbidden_site for a hostile site parameter', async () => {
    const path = `/v1/sites/${encodeURIComponent(HOSTILE_SITE)}/${route}?${range}`
    await expectError(await get(env.app, path, KEY_A), 403, 'forbidden_site')
  })

  it('checks the key before validating parameters, so no hints leak to strangers', async () => {
    await expectError(await get(env.app, `/v1/sites/site_a/${route}?from=garbage`), 401, 'missing_read_key')
  })
})

describe('a hostile site string that a key is scoped to', () => {
  it('is matched literally and reads no rows', async () => {
    const res = await get(
      env.app,
      `/v1/sites/${encodeURIComponent(HOSTILE_SITE)}/stats?${range}`,
      KEY_HOSTILE,
    )
    expect(res.status).toBe(200)
    expect((await res.json()) as StatsResponse).toMatchObject({ site: HOSTILE_SITE, events: 0, visitors: 0 })
  })
})

describe('unauthenticated routes', () => {
  it('GET /healthz answers without a key', async () => {
    const res = await env.app.request('/healthz')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true })
  })

  it('unknown paths get the error contract', async () => {
    await expectError(await env.app.request('/v1/nope'), 404, 'not_found')
  })
})
