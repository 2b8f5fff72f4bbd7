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
          "site": "site_a",
          "to": "2024-01-04 00:00:00.000",
        },
        "sql": "SELECT
        count() AS events,
        countIf(type = 'page') AS pageviews,
        uniqExact(person_id) AS visitors
      FROM events
      WHERE site_id = {site:String}
        AND ts >= {from:DateTime64(3, 'UTC')}
        AND ts < {to:DateTime64(3, 'UTC')}
        AND NOT is_bot",
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
          uniqExact(person_id) AS visitors
        FROM events
        WHERE site_id = {site:String}
          AND ts >= {from:DateTime64(3, 'UTC')}
          AND ts < {to:DateTime64(3, 'UTC')}
          AND NOT is_bot
          AND event = {event:String}
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
