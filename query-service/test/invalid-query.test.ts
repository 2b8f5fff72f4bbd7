import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ErrorJson, get, KEY_A, openTestEnv, type TestEnv } from './support.ts'

let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv({ seed: false })
})
afterAll(async () => {
  await env?.close()
})

async function invalid(path: string): Promise<string> {
  const res = await get(env.app, path, KEY_A)
  expect(res.status).toBe(400)
  const body = (await res.json()) as ErrorJson
  expect(body.error.code).toBe('invalid_query')
  expect(body.error.request_id).toMatch(/\S/)
  return body.error.message
}

describe('400 invalid_query', () => {
  it.each([
    ['/v1/sites/site_a/stats?from=yesterday', /from: expected an ISO 8601 date/],
    ['/v1/sites/site_a/stats?to=2024-13-45', /to: expected an ISO 8601 date/],
    ['/v1/sites/site_a/stats?from=2024-01-01T00:00:00', /from: .*with offset/],
    ['/v1/sites/site_a/stats?from=2024-01-05&to=2024-01-01', /`from` must be earlier than `to`/],
    ['/v1/sites/site_a/stats?include_bots=maybe', /include_bots: expected true\/false/],
    ['/v1/sites/site_a/stats?form=2024-01-01', /unknown parameter\(s\): form/],
    ['/v1/sites/site_a/trends?interval=minute', /interval: expected one of hour, day, week, month/],
    ['/v1/sites/site_a/trends?tz=Mars/Olympus_Mons', /tz: expected an IANA time zone/],
    ['/v1/sites/site_a/trends?event=', /event:/],
    [`/v1/sites/site_a/trends?event=${'e'.repeat(201)}`, /event:/],
    ['/v1/sites/site_a/trends?interval=hour&from=2023-01-01&to=2024-01-01', /limit is 2000/],
  ])('%s', async (path, message) => {
    expect(await invalid(path)).toMatch(message)
  })

  it('lists every problem at once', async () => {
    const message = await invalid('/v1/sites/site_a/trends?interval=minute&tz=Nope/Nope')
    expect(message).toMatch(/interval: .*; tz: /)
  })
})
