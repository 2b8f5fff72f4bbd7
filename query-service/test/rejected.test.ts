import { insertRejected } from '@sightline/warehouse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RejectedResponse } from '../src/insights/rejected.ts'
import { get, KEY_A, KEY_B, openTestEnv, type TestEnv } from './support.ts'

// Hand-made dead letters: site_a has 3 edge refusals (2 invalid_event, 1 bot_blocked) and one
// writer refusal inside the range, plus one refusal before it; site_b has one of its own.
let env: TestEnv
const at = (iso: string) => new Date(iso)
beforeAll(async () => {
  env = await openTestEnv({ seed: false })
  const base = { message: '', message_id: '', ingest_path: 'native' as const, payload: '{}' }
  await insertRejected(
    env.warehouse,
    [
      {
        ...base,
        site_id: 'site_a',
        received_at: at('2030-05-01T10:00:00Z'),
        stage: 'edge',
        code: 'invalid_event',
        message: 'event: too long',
      },
      {
        ...base,
        site_id: 'site_a',
        received_at: at('2030-05-01T11:00:00Z'),
        stage: 'edge',
        code: 'invalid_event',
        message: 'anonymous_id: missing',
      },
      {
        ...base,
        site_id: 'site_a',
        received_at: at('2030-05-01T12:00:00Z'),
        stage: 'edge',
        code: 'bot_blocked',
        message: 'bot',
      },
      {
        ...base,
        site_id: 'site_a',
        received_at: at('2030-05-01T13:00:00Z'),
        stage: 'writer',
        code: 'invalid_event',
        message: 'not loadable',
      },
      {
        ...base,
        site_id: 'site_a',
        received_at: at('2030-04-01T00:00:00Z'),
        stage: 'edge',
        code: 'invalid_event',
        message: 'old',
      },
      {
        ...base,
        site_id: 'site_b',
        received_at: at('2030-05-01T10:00:00Z'),
        stage: 'edge',
        code: 'invalid_event',
        message: 'b',
      },
    ],
    'rejected-fixture',
  )
})
afterAll(async () => {
  await env?.close()
})

describe('GET /v1/sites/:site/rejected', () => {
  it('counts refusals by stage and reason within the range, newest example message per group', async () => {
    const res = await get(env.app, '/v1/sites/site_a/rejected?from=2030-05-01&to=2030-05-02', KEY_A)
    expect(res.status).toBe(200)
    const body = (await res.json()) as RejectedResponse
    expect(body.total).toBe(4)
    expect(body.groups).toEqual([
      {
        stage: 'edge',
        code: 'invalid_event',
        count: 2,
        last_at: '2030-05-01T11:00:00.000Z',
        example_message: 'anonymous_id: missing',
      },
      {
        stage: 'edge',
        code: 'bot_blocked',
        count: 1,
        last_at: '2030-05-01T12:00:00.000Z',
        example_message: 'bot',
      },
      {
        stage: 'writer',
        code: 'invalid_event',
        count: 1,
        last_at: '2030-05-01T13:00:00.000Z',
        example_message: 'not loadable',
      },
    ])
  })

  it('never shows another site’s refusals', async () => {
    const res = await get(env.app, '/v1/sites/site_a/rejected?from=2030-05-01&to=2030-05-02', KEY_B)
    expect(res.status).toBe(403)
  })
})
