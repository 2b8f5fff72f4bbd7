import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ErrorJson, get, KEY_BOTH, openTestEnv, post, type TestEnv } from './support.ts'

// `range` end to end, on the hand-worked fixture (fixture.ts). The clock stands at
// 2024-01-04T12:00Z; site_a reports in America/New_York (UTC−5 in January), site_b's zone is
// unknown to this service (UTC). So site_a's "yesterday" is 3 January in New York:
// [2024-01-03T05:00Z, 2024-01-04T05:00Z), which holds alice's 23:30Z page view, bob's
// 23:59:59.999Z purchase and dave's 01-04 00:00Z page view, and not carol's 03:00Z rows.
const NOW = new Date('2024-01-04T12:00:00Z')
const NY_YESTERDAY = { from: '2024-01-03T05:00:00.000Z', to: '2024-01-04T05:00:00.000Z' }
const UTC_YESTERDAY = { from: '2024-01-03T00:00:00.000Z', to: '2024-01-04T00:00:00.000Z' }

let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv({
    app: {
      clock: () => NOW,
      siteTimeZone: (site) => (site === 'site_a' ? 'America/New_York' : undefined),
    },
  })
})
afterAll(async () => {
  await env?.close()
})

/** The answer without `meta` (which says how this one answer was served, not what it is). */
async function answer(res: Response | Promise<Response>): Promise<Record<string, unknown>> {
  const r = await res
  expect(r.status).toBe(200)
  const { meta: _meta, ...body } = (await r.json()) as Record<string, unknown>
  return body
}

const query = (site: string, spec: Record<string, unknown>) =>
  answer(post(env.app, `/v1/sites/${site}/query`, KEY_BOTH, spec))

describe('range', () => {
  it('"yesterday" answers exactly as its from/to, on the site’s calendar', async () => {
    const named = await query('site_a', { kind: 'stats', range: 'yesterday' })
    expect(named).toEqual(await query('site_a', { kind: 'stats', ...NY_YESTERDAY }))
    expect(named).toMatchObject({ ...NY_YESTERDAY, events: 3, pageviews: 2, visitors: 3 })
    // The GET convenience takes it too.
    expect(await answer(get(env.app, '/v1/sites/site_a/stats?range=yesterday', KEY_BOTH))).toEqual(named)
  })

  it('counts days in the kind’s own tz where it has one, whatever the site’s zone', async () => {
    const spec = { kind: 'trends', interval: 'hour', tz: 'UTC' }
    const named = await query('site_a', { ...spec, range: 'yesterday' })
    expect(named).toEqual(await query('site_a', { ...spec, ...UTC_YESTERDAY }))
    expect(named).toMatchObject(UTC_YESTERDAY)
    // And in New York when that is the tz asked for.
    const ny = await query('site_a', { ...spec, tz: 'America/New_York', range: 'yesterday' })
    expect(ny).toMatchObject(NY_YESTERDAY)
  })

  it('counts in UTC for a site whose zone the service does not know', async () => {
    expect(await query('site_b', { kind: 'stats', range: 'yesterday' })).toMatchObject(UTC_YESTERDAY)
  })

  it('is resolved for every kind that takes from/to', async () => {
    const step = { event: 'pageview' }
    // Funnel, retention (and trends, above) have `tz`, UTC by default; the others have none
    // and count on the site's calendar.
    const specs: [Record<string, unknown>, typeof NY_YESTERDAY][] = [
      [{ kind: 'breakdown', by: 'page' }, NY_YESTERDAY],
      [{ kind: 'funnel', steps: [step, step] }, UTC_YESTERDAY],
      [{ kind: 'funnel_persons', steps: [step, step], step: 1 }, NY_YESTERDAY],
      [{ kind: 'retention', start: step, period: 'day' }, UTC_YESTERDAY],
      [{ kind: 'paths' }, NY_YESTERDAY],
      [{ kind: 'attribution', conversion: step }, NY_YESTERDAY],
      [{ kind: 'rejected' }, NY_YESTERDAY],
      [{ kind: 'events' }, NY_YESTERDAY],
    ]
    for (const [spec, range] of specs) {
      const named = await query('site_a', { ...spec, range: 'yesterday' })
      expect(named, String(spec.kind)).toEqual(await query('site_a', { ...spec, ...range }))
      // Every answer echoes the resolved range (retention's widened to whole days, the same here).
      expect(named, String(spec.kind)).toMatchObject(range)
    }
  })
})

describe('range: refused', () => {
  async function refused(res: Response | Promise<Response>): Promise<string> {
    const r = await res
    expect(r.status).toBe(400)
    const body = (await r.json()) as ErrorJson
    expect(body.error.code).toBe('invalid_query')
    return body.error.message
  }

  it('an unknown name, listing the names', async () => {
    const message = await refused(
      post(env.app, '/v1/sites/site_a/query', KEY_BOTH, { kind: 'stats', range: 'fortnight' }),
    )
    expect(message).toBe(
      'range: expected one of today, yesterday, last_30_minutes, last_24_hours, last_7_days, last_30_days, this_week, last_week, this_month, last_month, this_year',
    )
  })

  it('with `from` or `to`', async () => {
    const both = await refused(
      post(env.app, '/v1/sites/site_a/query', KEY_BOTH, {
        kind: 'stats',
        range: 'today',
        from: '2024-01-01',
      }),
    )
    expect(both).toBe('`range` names a whole range: send either `range` or `from`/`to`, not both')
    expect(await refused(get(env.app, '/v1/sites/site_a/trends?range=today&to=2024-01-04', KEY_BOTH))).toBe(
      both,
    )
  })
})
