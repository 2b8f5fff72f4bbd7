import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ErrorJson, KEY_A, openTestEnv, post, type TestEnv } from './support.ts'

/** Bad funnel, funnel-persons and retention specs: a 400 naming the problem, never a 5xx. */

let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv({ seed: false })
})
afterAll(() => env?.close())

const TWO = [{ event: 'a' }, { event: 'b' }]
const RANGE = { from: '2024-01-01', to: '2024-01-08' }

async function invalid(spec: Record<string, unknown>): Promise<string> {
  const res = await post(env.app, '/v1/sites/site_a/query', KEY_A, { ...RANGE, ...spec })
  expect(res.status, JSON.stringify(spec)).toBe(400)
  const body = (await res.json()) as ErrorJson
  expect(body.error.code).toBe('invalid_query')
  return body.error.message
}

describe('400 invalid_query for funnels', () => {
  it.each([
    [{ kind: 'funnel' }, /steps:/],
    [{ kind: 'funnel', steps: [{ event: 'a' }] }, /2 to 20 steps/],
    [{ kind: 'funnel', steps: Array.from({ length: 21 }, () => ({ event: 'a' })) }, /2 to 20 steps/],
    [{ kind: 'funnel', steps: 'not json' }, /steps:/],
    [{ kind: 'funnel', steps: [{ event: '' }, { event: 'b' }] }, /steps\.0\.event/],
    [
      { kind: 'funnel', steps: [{ event: 'a', colour: 'red' }, { event: 'b' }] },
      /steps\.0: unknown field\(s\): colour/,
    ],
    [
      {
        kind: 'funnel',
        steps: [{ event: 'a', filters: [{ dimension: 'channel', op: 'is', value: 'x' }] }, { event: 'b' }],
      },
      /steps\.0: `channel` is a visit dimension/,
    ],
    [
      {
        kind: 'funnel',
        steps: [{ event: 'a', filters: [{ dimension: 'page', op: 'like', value: 'x' }] }, { event: 'b' }],
      },
      /steps\.0\.filters\.0\.op: expected one of is, is_not, contains, not_contains/,
    ],
    [{ kind: 'funnel', steps: TWO, order: 'sideways' }, /order: expected one of ordered, strict, any_order/],
    [{ kind: 'funnel', steps: TWO, window_s: 0 }, /window_s/],
    [{ kind: 'funnel', steps: TWO, window_s: 400 * 86_400 }, /at most 31536000 s/],
    [
      { kind: 'funnel', steps: TWO, exclusions: Array.from({ length: 6 }, () => ({ event: 'x' })) },
      /at most 5 exclusions/,
    ],
    [
      { kind: 'funnel', steps: TWO, breakdown: 'channel' },
      /breakdown: a funnel breaks down by an event dimension/,
    ],
    [{ kind: 'funnel', steps: TWO, breakdown_limit: 101 }, /breakdown_limit/],
    [{ kind: 'funnel', steps: TWO, interval: 'minute' }, /interval: expected one of/],
    [{ kind: 'funnel', steps: TWO, interval: 'hour', from: '2020-01-01' }, /limit is 2000/],
    [{ kind: 'funnel', steps: TWO, to: '2105-12-31' }, /plus the conversion window/],
    [{ kind: 'funnel', steps: TWO, tz: 'utc' }, /tz: expected an IANA time zone/],
    [{ kind: 'funnel', steps: TWO, cohort: { did: { event: 'a' } } }, /cohort\.from/],
    [
      { kind: 'funnel', steps: TWO, cohort: { did: { event: 'a' }, from: '2024-02-01', to: '2024-01-01' } },
      /cohort: `from` must be earlier/,
    ],
    [
      {
        kind: 'funnel',
        steps: TWO,
        cohort: {
          did: { event: 'a', filters: [{ dimension: 'channel', op: 'is', value: 'x' }] },
          from: '2024-01-01',
          to: '2024-02-01',
        },
      },
      /cohort\.did: `channel` is a visit dimension/,
    ],
    [{ kind: 'funnel_persons', steps: TWO }, /step:/],
    [{ kind: 'funnel_persons', steps: TWO, step: 3 }, /the funnel has 2 steps/],
    [{ kind: 'funnel_persons', steps: TWO, step: 1, status: 'dropped' }, /nobody drops at step 1/],
    [
      { kind: 'funnel_persons', steps: TWO, step: 2, status: 'lost' },
      /status: expected one of converted, dropped/,
    ],
    [{ kind: 'funnel_persons', steps: TWO, step: 2, limit: 1001 }, /limit/],
  ])('%j', async (spec, message) => {
    expect(await invalid(spec)).toMatch(message)
  })
})

describe('400 invalid_query for retention', () => {
  it.each([
    [{ kind: 'retention' }, /start:/],
    [
      { kind: 'retention', start: { event: 'a' }, period: 'year' },
      /period: expected one of day, week, month/,
    ],
    [
      { kind: 'retention', start: { event: 'a' }, mode: 'sometimes' },
      /mode: expected one of first_time, recurring/,
    ],
    [
      { kind: 'retention', start: { event: 'a' }, period: 'day', from: '2024-01-01', to: '2024-06-01' },
      /limit is 120/,
    ],
    [
      {
        kind: 'retention',
        start: { event: 'a' },
        return: { event: 'b', filters: [{ dimension: 'source', op: 'is', value: 'x' }] },
      },
      /return: `source` is a visit dimension/,
    ],
    [{ kind: 'retention', start: { goal: { event: 'a', extra: 1 } } }, /start: unknown field\(s\): extra/],
    [{ kind: 'retention', start: { event: 'a' }, from: '1970-01-01' }, /`from` must be 1970-02-02/],
  ])('%j', async (spec, message) => {
    expect(await invalid(spec)).toMatch(message)
  })
})

describe('the GET forms refuse the same way', () => {
  it('refuses steps that are not a JSON array', async () => {
    const res = await env.app.request('/v1/sites/site_a/funnel?steps=signup,purchase', {
      headers: { authorization: `Bearer ${KEY_A}` },
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as ErrorJson).error.message).toMatch(/steps:/)
  })
})
