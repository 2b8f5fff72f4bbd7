import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALL_ATTACKS, ATTACKS } from './sql-hatch-attacks.ts'
import { CLEAN, SECRET, seedOtherSite, sql, verdict } from './sql-hatch-data.ts'
import { HOSTILE_SITE, KEY_BOTH, KEY_HOSTILE, openTestEnv, type TestEnv } from './support.ts'

// Hundreds of crafted queries against the real app over chdb, holding two sites' rows:
// site_a's key must never see a site_b row, never get a 5xx, and every answer (refusals
// included) comes within a deadline. A refusal names what it refused.
let env: TestEnv
beforeAll(async () => {
  env = await openTestEnv()
  await seedOtherSite(env.warehouse)
})
afterAll(async () => {
  await env?.close()
})

/** The hatch's own limit is 5 s; a loaded 2-core machine gets headroom on top. */
const DEADLINE_MS = 8_000

describe('hostile SQL against site_a', () => {
  it(`the suite holds hundreds of attacks (${ALL_ATTACKS.length})`, () => {
    expect(ALL_ATTACKS.length).toBeGreaterThan(300)
  })

  it('site_b rows really are in the warehouse (the suite would prove nothing otherwise)', async () => {
    const answer = await sql(env.app, 'SELECT person_id FROM events', KEY_BOTH, 'site_b')
    expect(answer.status).toBe(200)
    expect(answer.body).toContain(SECRET)
  })

  for (const [trick, queries] of Object.entries(ATTACKS)) {
    it(`${trick}: no leak, no 5xx, on time (all disguises)`, async () => {
      const seen = ALL_ATTACKS.filter((q) => queries.some((base) => sameAttack(base, q)))
      const verdicts = []
      for (const query of seen) verdicts.push(verdict(query, await sql(env.app, query), DEADLINE_MS))
      expect(verdicts).toEqual(seen.map(CLEAN))
    })
  }

  it('a read key whose site is an injection string sees no rows of either site', async () => {
    for (const query of ['SELECT * FROM events', "SELECT * FROM events WHERE site_id = 'site_a' OR 1 = 1"]) {
      const answer = await sql(env.app, query, KEY_HOSTILE, HOSTILE_SITE)
      expect(answer.status).toBe(200)
      expect(JSON.parse(answer.body).rows).toEqual([])
    }
  })

  it('a key for both sites still reads only the site in the path', async () => {
    const answer = await sql(env.app, 'SELECT DISTINCT site_id FROM events', KEY_BOTH, 'site_a')
    expect(JSON.parse(answer.body).rows).toEqual([{ site_id: 'site_a' }])
  })
})

describe('refusals name what they refused', () => {
  const cases: Array<[string, RegExp]> = [
    ['SELECT * FROM numbers(3)', /table functions are not allowed/],
    ['SELECT * FROM system.one', /system tables are not readable/],
    ['SELECT * FROM default.events', /other databases are not readable/],
    ['SELECT * FROM rejected', /table `rejected` is not readable/],
    ['SELECT 1; SELECT 2', /multiple statements/],
    ['DROP TABLE events', /only a SELECT statement/],
    ['SELECT 1 SETTINGS max_threads = 1', /SETTINGS clauses are not allowed/],
    ['SELECT 1 FORMAT CSV', /FORMAT clauses are not allowed/],
    ["SELECT 1 INTO OUTFILE 'x'", /INTO/],
    ['WITH events AS (SELECT 1) SELECT * FROM events', /a CTE may not be named `events`/],
    ['SELECT * FROM events WHERE person_id IN rejected', /IN rejected/],
    ["SELECT dictGet('d', 'x', 1)", /function `dictGet` is not allowed/],
    ['SELECT sleep(1)', /function `sleep` is not allowed/],
    ['SELECT * FROM events /* open', /unclosed \/\* comment/],
    ['SELECT {x:String}', /unexpected character "\{"/],
    ['SELECT nosuch FROM events', /UNKNOWN_IDENTIFIER/],
  ]
  for (const [query, message] of cases) {
    it(query, async () => {
      const answer = await sql(env.app, query)
      const body = JSON.parse(answer.body)
      expect({ status: answer.status, code: body.error?.code }).toEqual({
        status: 400,
        code: 'invalid_query',
      })
      expect(body.error.message).toMatch(message)
      expect(body.error.message).not.toContain(env.warehouse.database)
    })
  }

  it('a result past the row cap is 422 query_too_large, not a 5xx', async () => {
    const answer = await sql(env.app, 'SELECT arrayJoin(range(20000))')
    expect(answer.status).toBe(422)
  })
})

function sameAttack(base: string, query: string): boolean {
  const flat = (s: string) => s.replace(/\/\*\*\/| -- x\n|\s+|;/g, '').toLowerCase()
  return flat(base) === flat(query)
}
