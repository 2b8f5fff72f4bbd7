import { describe, expect, it } from 'vitest'
import { planStats } from './stats.ts'
import { planTrends } from './trends.ts'

const from = new Date('2024-01-01T00:00:00.000Z')
const to = new Date('2024-01-04T00:00:00.000Z')
const hostile = "x' OR 1=1 --"

describe('planStats', () => {
  it('binds site and range, excludes bots by default', () => {
    expect(planStats({ site: 'site_a', from, to, includeBots: false })).toMatchInlineSnapshot(`
      {
        "params": {
          "from": "2024-01-01 00:00:00.000",
          "previous_from": "2023-12-29 00:00:00.000",
          "session_timeout_ms": 1800000,
          "site": "site_a",
          "to": "2024-01-04 00:00:00.000",
        },
        "sql": "SELECT
        e.period AS period,
        e.events AS events,
        e.pageviews AS pageviews,
        e.visitors AS visitors,
        s.visits AS visits,
        s.bounces AS bounces,
        s.visit_pageviews AS visit_pageviews,
        s.duration_ms AS duration_ms
      FROM (
        SELECT
          toUInt8(ts >= {from:DateTime64(3, 'UTC')}) AS period,
          count() AS events,
          countIf(type = 'page') AS pageviews,
          uniqExactIf(person, person != '') AS visitors
        FROM (
          SELECT ev.*, if(o.merged_into = '', ev.person_id, o.merged_into) AS person
          FROM (
            SELECT *
            FROM events
            WHERE site_id = {site:String}
              AND ts >= {previous_from:DateTime64(3, 'UTC')}
              AND ts < {to:DateTime64(3, 'UTC')}
              AND NOT is_bot
          ) AS ev
          LEFT ANY JOIN (
            SELECT id, argMax(person, version) AS merged_into
            FROM person_overrides
            WHERE site_id = {site:String}
            GROUP BY id
          ) AS o ON o.id = ev.person_id
        )
        GROUP BY period
      ) AS e
      LEFT JOIN (
        SELECT
          period,
          count() AS visits,
          countIf(pageviews = 1) AS bounces,
          sum(pageviews) AS visit_pageviews,
          sum(ended - started) AS duration_ms
        FROM (
          SELECT
            period,
            anonymous_id,
            visit,
            min(t_ms) AS started,
              max(t_ms) AS ended,
              count() AS events,
              countIf(is_page = 1) AS pageviews
          FROM (
            SELECT
              period, anonymous_id,
              ev.1 AS t_ms,
                ev.2 AS message_id,
                ev.3 AS utm_pair,
                ev.4 AS is_page,
              visit
            FROM (
              SELECT
                period, anonymous_id,
                evs,
                arrayMap(e -> e.1, evs) AS t,
                arrayMap(e -> e.3, evs) AS utm,
                arrayMap((d, i) -> i = 1 OR d > {session_timeout_ms:Int64}, arrayDifference(t), arrayEnumerate(t)) AS after_gap,
                arrayFill(x -> x IS NOT NULL, arrayMap((g, u) -> if(g, ifNull(u, ''), u), after_gap, utm)) AS marks,
                arrayCumSum(arrayMap(
                  (g, u, before) -> toUInt32(g OR (u IS NOT NULL AND assumeNotNull(u) != ifNull(before, ''))),
                  after_gap, utm, arrayPushFront(arrayPopBack(marks), NULL)
                )) AS visits
              FROM (
                SELECT period, anonymous_id, arraySort(groupArray((t_ms, message_id, utm_pair, is_page))) AS evs
                FROM (
                  SELECT
                    toUInt8(ts >= {from:DateTime64(3, 'UTC')}) AS period,
                    anonymous_id,
                    toUnixTimestamp64Milli(ts) AS t_ms,
                      message_id AS message_id,
                      if(utm_source = '' AND utm_campaign = '', NULL, concat(utm_source, '\\0', utm_campaign)) AS utm_pair,
                      toUInt8(type = 'page') AS is_page
                  FROM events
                  WHERE site_id = {site:String}
                    AND ts >= {previous_from:DateTime64(3, 'UTC')}
                    AND ts < {to:DateTime64(3, 'UTC')}
                    AND NOT is_bot
                    AND anonymous_id != ''
                )
                GROUP BY period, anonymous_id
              )
            )
            ARRAY JOIN evs AS ev, visits AS visit
          )
          GROUP BY period, anonymous_id, visit
        )
        GROUP BY period
      ) AS s USING (period)
      ORDER BY period",
      }
    `)
  })

  it('drops only the bot predicate when bots are included', () => {
    const { sql } = planStats({ site: 'site_a', from, to, includeBots: true })
    expect(sql).not.toContain('is_bot')
    expect(sql).toContain('site_id = {site:String}')
  })

  it('never puts a user value into the SQL text', () => {
    const planned = planStats({ site: hostile, from, to, includeBots: false })
    expect(planned.sql).not.toContain(hostile)
    expect(planned.params.site).toBe(hostile)
  })
})

describe('planTrends', () => {
  it('plans daily buckets with gap filling, filtered to one event', () => {
    expect(
      planTrends({
        site: 'site_a',
        from,
        to,
        includeBots: false,
        interval: 'day',
        tz: 'UTC',
        event: 'signup',
      }),
    ).toMatchInlineSnapshot(`
      {
        "params": {
          "event": "signup",
          "from": "2024-01-01 00:00:00.000",
          "site": "site_a",
          "to": "2024-01-04 00:00:00.000",
          "tz": "UTC",
        },
        "sql": "SELECT
        formatDateTime(b, '%Y-%m-%dT%H:%i:%S.000Z', 'UTC') AS bucket,
        count,
        visitors
      FROM (
        SELECT
          toStartOfDay(ts, {tz:String}) AS b,
          count() AS count,
          uniqExactIf(person, person != '') AS visitors
        FROM (
          SELECT ev.*, if(o.merged_into = '', ev.person_id, o.merged_into) AS person
          FROM (
            SELECT *
            FROM events
            WHERE site_id = {site:String}
              AND ts >= {from:DateTime64(3, 'UTC')}
              AND ts < {to:DateTime64(3, 'UTC')}
              AND NOT is_bot
              AND event = {event:String}
          ) AS ev
          LEFT ANY JOIN (
            SELECT id, argMax(person, version) AS merged_into
            FROM person_overrides
            WHERE site_id = {site:String}
            GROUP BY id
          ) AS o ON o.id = ev.person_id
        )
        GROUP BY b
        ORDER BY b WITH FILL
          FROM toStartOfDay({from:DateTime64(3, 'UTC')}, {tz:String})
          TO toDateTime({to:DateTime64(3, 'UTC')}, {tz:String})
          STEP INTERVAL 1 DAY
      )
      ORDER BY b",
      }
    `)
  })

  it('maps each interval to a fixed bucket function and fill step', () => {
    const fragments = (['hour', 'day', 'week', 'month'] as const).map((interval) => {
      const { sql } = planTrends({ site: 's', from, to, includeBots: true, interval, tz: 'Europe/Berlin' })
      const bucket = /SELECT\n\s+(.*) AS b,/.exec(sql)?.[1]
      const step = /STEP (.*)\n/.exec(sql)?.[1]
      return { interval, bucket, step }
    })
    expect(fragments).toMatchInlineSnapshot(`
      [
        {
          "bucket": "toStartOfHour(ts, {tz:String})",
          "interval": "hour",
          "step": "INTERVAL 1 HOUR",
        },
        {
          "bucket": "toStartOfDay(ts, {tz:String})",
          "interval": "day",
          "step": "INTERVAL 1 DAY",
        },
        {
          "bucket": "toDateTime(toMonday(ts, {tz:String}), {tz:String})",
          "interval": "week",
          "step": "INTERVAL 1 WEEK",
        },
        {
          "bucket": "toDateTime(toStartOfMonth(ts, {tz:String}), {tz:String})",
          "interval": "month",
          "step": "INTERVAL 1 MONTH",
        },
      ]
    `)
  })

  it('omits the event predicate and param when no event is given', () => {
    const planned = planTrends({ site: 's', from, to, includeBots: false, interval: 'day', tz: 'UTC' })
    expect(planned.sql).not.toContain('{event:String}')
    expect(planned.params).not.toHaveProperty('event')
  })

  it('keeps hostile event names and zones out of the SQL text', () => {
    const tz = "UTC') OR 1=1 --"
    const planned = planTrends({
      site: hostile,
      from,
      to,
      includeBots: false,
      interval: 'hour',
      tz,
      event: hostile,
    })
    expect(planned.sql).not.toContain(hostile)
    expect(planned.sql).not.toContain(tz)
    expect(planned.params).toMatchObject({ site: hostile, event: hostile, tz })
  })
})
