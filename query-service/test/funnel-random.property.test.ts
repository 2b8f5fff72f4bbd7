import { type InboundEvent, stampEvent } from '@sightline/contracts'
import { type EventRow, toEventRow } from '@sightline/warehouse'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FunnelResponse } from '../src/insights/funnel.ts'
import { expectSteps } from './funnel-expect.ts'
import { funnelOf, type RefFunnelSpec } from './reference/funnels.ts'
import { KEY_A, openTestEnv, post, type TestEnv } from './support.ts'

/**
 * Funnels over small random histories against the plain-TypeScript reference: a few persons,
 * a few events each on a one-second grid (so same-millisecond ties, events just before
 * `from` and just after `to`, and steps exactly at the window's end are common), with random
 * message ids (ties are ordered by them), an optional exclusion, a repeated step and a
 * breakdown by a property that differs between a person's events. Every order mode runs,
 * with and without an hourly trend: each range straddles an hour's start, so a person's starts
 * fall into two buckets, each with its own best attempt. Each run writes around its own hour
 * of site_a, so runs never see each other's events.
 */

const SITE = 'site_a'
const BASE_MS = Date.parse('2024-06-01T00:00:00Z')
const HOUR_MS = 3_600_000
const GRID_S = 12
/** Where each run's range starts before its hour, so the hour's start splits the range. */
const BEFORE_HOUR_MS = 6_000

let env: TestEnv
let run = 0
beforeAll(async () => {
  env = await openTestEnv({ seed: false })
})
afterAll(() => env?.close())

interface Drawn {
  persons: Array<Array<{ at: number; ms: number; tie: boolean; event: string; plan: string; id: number }>>
  steps: string[]
  exclusion: boolean
  windowS: number
  order: RefFunnelSpec['order']
  breakdown: boolean
  trend: boolean
}

const drawn: fc.Arbitrary<Drawn> = fc.record({
  persons: fc.array(
    fc.array(
      fc.record({
        // Seconds on the grid, from two before `from` to two after `to`.
        at: fc.integer({ min: -2, max: GRID_S + 2 }),
        // Mostly on the second, sometimes a millisecond after: ties and near-ties.
        ms: fc.constantFrom(0, 0, 0, 1),
        // At the same instant as the person's previous event: ties in every role.
        tie: fc.boolean(),
        event: fc.constantFrom('a', 'a', 'a', 'b', 'b', 'c', 'x'),
        plan: fc.constantFrom('pro', 'free'),
        id: fc.integer({ min: 0, max: 9_999 }),
      }),
      { minLength: 1, maxLength: 9 },
    ),
    { minLength: 1, maxLength: 6 },
  ),
  steps: fc.constantFrom(['a', 'b'], ['a', 'b', 'c'], ['a', 'b', 'a'], ['b', 'c', 'a', 'b']),
  exclusion: fc.boolean(),
  windowS: fc.integer({ min: 1, max: 6 }),
  order: fc.constantFrom('ordered', 'strict', 'any_order'),
  breakdown: fc.boolean(),
  trend: fc.boolean(),
})

function rowsOf(d: Drawn, startMs: number): EventRow[] {
  return d.persons.flatMap((events, p) => {
    let previousMs = startMs
    return events.map((e, i) => {
      const atMs = e.tie && i > 0 ? previousMs : startMs + e.at * 1000 + e.ms
      previousMs = atMs
      const inbound = {
        type: 'track',
        event: e.event,
        // Unique, in an order unrelated to the events' times.
        message_id: `m${String(e.id).padStart(4, '0')}-${p}-${i}`,
        anonymous_id: `p${p}`,
        timestamp: new Date(atMs).toISOString(),
        properties: { plan: e.plan },
      } as InboundEvent
      const stamped = stampEvent(inbound, {
        siteId: SITE,
        receivedAt: inbound.timestamp!,
        ingestPath: 'native',
      })
      return toEventRow(
        { ...stamped, bot: { is_bot: false, score: 0, reasons: [] } },
        { retentionDays: 10_000 },
      )
    })
  })
}

describe('funnels over random histories', () => {
  it('equal the reference in every order mode, with ties, exclusions, repeated steps and a breakdown', async () => {
    await fc.assert(
      fc.asyncProperty(drawn, async (d) => {
        const startMs = BASE_MS + run++ * HOUR_MS - BEFORE_HOUR_MS
        const rows = rowsOf(d, startMs)
        await env.warehouse.insert('events', rows, { dedupToken: `funnel-random-${startMs}` })
        const from = new Date(startMs)
        const to = new Date(startMs + GRID_S * 1000)
        const res = await post(env.app, `/v1/sites/${SITE}/query`, KEY_A, {
          kind: 'funnel',
          from: from.toISOString(),
          to: to.toISOString(),
          steps: d.steps.map((event) => ({ event })),
          exclusions: d.exclusion ? [{ event: 'x' }] : [],
          window_s: d.windowS,
          order: d.order,
          ...(d.breakdown ? { breakdown: 'properties.plan' } : {}),
          ...(d.trend ? { interval: 'hour' } : {}),
        })
        expect(res.status).toBe(200)
        const got = (await res.json()) as FunnelResponse
        const want = funnelOf(
          rows,
          {
            site: SITE,
            from,
            to,
            steps: d.steps.map((event) => ({ event })),
            exclusions: d.exclusion ? [{ event: 'x' }] : [],
            windowMs: d.windowS * 1000,
            order: d.order,
            ...(d.breakdown ? { breakdown: 'properties.plan' } : {}),
            ...(d.trend ? { interval: 'hour' as const } : {}),
          },
          (r) => r.person_id,
        )
        expectSteps(got.steps, want.steps)
        if (d.trend) {
          expect(
            got.trend!.buckets.map(({ bucket, entered, converted }) => ({ bucket, entered, converted })),
          ).toEqual(want.trend)
        }
        if (!d.breakdown) return
        expect(got.breakdown!.total_groups).toBe(want.breakdown!.total)
        expect(got.breakdown!.groups.map((g) => g.value)).toEqual(want.breakdown!.groups.map((g) => g.value))
        got.breakdown!.groups.forEach((g, i) => {
          expectSteps(g.steps, want.breakdown!.groups[i]!.steps)
        })
      }),
      { numRuns: 60 },
    )
  }, 120_000)

  it('reads the breakdown at the first start in message-id order when starts tie to the millisecond', async () => {
    // The case the random histories find only now and then: one person's two step-1 events
    // in one millisecond, with different plans; inserted in the opposite order to their ids.
    const d: Drawn = {
      persons: [
        [
          { at: 0, ms: 0, tie: false, event: 'a', plan: 'pro', id: 1 },
          { at: 0, ms: 0, tie: false, event: 'a', plan: 'free', id: 0 },
        ],
      ],
      steps: ['a', 'b'],
      exclusion: false,
      windowS: 1,
      order: 'ordered',
      breakdown: true,
      trend: false,
    }
    const startMs = BASE_MS + run++ * HOUR_MS
    await env.warehouse.insert('events', rowsOf(d, startMs), { dedupToken: `funnel-tie-${startMs}` })
    const res = await post(env.app, `/v1/sites/${SITE}/query`, KEY_A, {
      kind: 'funnel',
      from: new Date(startMs).toISOString(),
      to: new Date(startMs + GRID_S * 1000).toISOString(),
      steps: [{ event: 'a' }, { event: 'b' }],
      window_s: 1,
      breakdown: 'properties.plan',
    })
    expect(res.status).toBe(200)
    const got = (await res.json()) as FunnelResponse
    expect(got.breakdown!.groups.map((g) => [g.value, g.steps[0]!.persons])).toEqual([['free', 1]])
  })
})
