import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SITE_A_ROWS, SITE_B_ROWS, seedOtherSite, sql } from './sql-hatch-data.ts'
import { KEY_B, openTestEnv, post, type TestEnv } from './support.ts'

// The questions users bring to the SQL hatch, answered over the fixture (fixture.ts) plus 25
// site_b rows: each answer is worked out by hand from the fixture's table.
let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv()
  await seedOtherSite(env.warehouse)
})
afterAll(async () => {
  await env?.close()
})

async function rows(query: string, key?: string, site?: string): Promise<unknown[]> {
  const answer = await sql(env.app, query, key, site)
  expect(answer.status, answer.body).toBe(200)
  return JSON.parse(answer.body).rows
}

describe('legitimate queries', () => {
  it('counts only the site in the path, for each site', async () => {
    expect(await rows('SELECT count() AS n FROM events')).toEqual([{ n: SITE_A_ROWS }])
    expect(await rows('SELECT count() AS n FROM events', KEY_B, 'site_b')).toEqual([{ n: SITE_B_ROWS + 1 }]) // + erin's fixture row
  })

  it('groups by event name', async () => {
    expect(
      await rows('SELECT event, count() AS n FROM events GROUP BY event ORDER BY n DESC, event'),
    ).toEqual([
      { event: '$pageview', n: 7 },
      { event: 'signup', n: 2 },
      { event: 'purchase', n: 1 },
    ])
  })

  it('buckets by day with time functions and a time zone', async () => {
    const sqlText = `SELECT toDate(toTimeZone(ts, 'America/New_York')) AS day, uniq(person_id) AS visitors
      FROM events WHERE NOT is_bot AND ts >= '2024-01-01' AND ts < '2024-01-04'
      GROUP BY day ORDER BY day`
    // fixture.ts: New York days 01-01 → alice, bob; 01-02 → carol (03:00Z); 01-03 → alice, bob (23:30Z, 23:59Z).
    expect(await rows(sqlText)).toEqual([
      { day: '2024-01-01', visitors: 2 },
      { day: '2024-01-02', visitors: 1 },
      { day: '2024-01-03', visitors: 2 },
    ])
  })

  it('reads JSON properties (cast to a type to group by them)', async () => {
    expect(
      await rows(
        "SELECT properties.plan::String AS plan, count() AS n FROM events WHERE event = '$pageview' GROUP BY plan ORDER BY plan",
        KEY_B,
        'site_b',
      ),
    ).toEqual([
      { plan: '', n: 1 }, // erin's fixture row has no plan
      { plan: 'pro', n: 13 },
    ])
  })

  it('CTEs, subqueries, joins, IN (SELECT …), UNION ALL and window functions, each branch confined', async () => {
    expect(
      await rows(
        "WITH signups AS (SELECT person_id FROM events WHERE event = 'signup') SELECT count() AS n FROM events WHERE person_id IN (SELECT person_id FROM signups)",
      ),
    ).toEqual([{ n: 5 }]) // the signers-up' rows: alice 3 + carol 2
  })

  it('joins events with events and unions two reads', async () => {
    expect(
      await rows(
        "SELECT count() AS n FROM events AS a JOIN (SELECT DISTINCT person_id FROM events WHERE event = 'purchase') AS b ON a.person_id = b.person_id",
      ),
    ).toEqual([{ n: 2 }])
    expect(
      await rows(
        'SELECT count() AS n FROM (SELECT site_id FROM events UNION ALL SELECT site_id FROM events)',
      ),
    ).toEqual([{ n: 2 * SITE_A_ROWS }])
  })

  it('window functions and lambdas', async () => {
    const got = await rows(
      "SELECT person_id, row_number() OVER (PARTITION BY person_id ORDER BY ts) AS k FROM events WHERE person_id = 'anon-alice' ORDER BY k",
    )
    expect(got).toEqual([
      { person_id: 'anon-alice', k: 1 },
      { person_id: 'anon-alice', k: 2 },
      { person_id: 'anon-alice', k: 3 },
    ])
    expect(await rows('SELECT arrayMap(x -> x * 2, [1, 2]) AS a')).toEqual([{ a: [2, 4] }])
  })

  it('explain returns the SQL as it ran, with the site bound, not spliced', async () => {
    const res = await post(env.app, '/v1/sites/site_a/sql', 'rk_test_site_a_only_0001', {
      sql: 'SELECT count() FROM events -- mine',
      explain: true,
    })
    const body = await res.json()
    expect(body.meta).toMatchObject({ columns: ['count()'], rows: 1 })
    expect(body.meta.sql).toContain('WHERE site_id = {sl_site:String}')
    expect(body.meta.sql).not.toContain('mine')
    expect(body.meta.elapsed_ms).toBeGreaterThan(0)
  })

  it('meta says what the statement read: every row of the site it scanned, not the rows returned', async () => {
    const answer = await sql(env.app, 'SELECT count() AS n, max(length(event)) AS l FROM events')
    const meta = JSON.parse(answer.body).meta
    expect(meta.rows).toBe(1)
    expect(meta.rows_read).toBeGreaterThanOrEqual(SITE_A_ROWS)
    expect(meta.bytes_read).toBeGreaterThan(0)
  })

  it('an empty answer has no columns and zero rows', async () => {
    const answer = await sql(env.app, "SELECT event FROM events WHERE event = 'none'")
    expect(JSON.parse(answer.body).meta).toMatchObject({ columns: [], rows: 0 })
  })
})
