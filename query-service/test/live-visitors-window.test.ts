import type { LiveEvent } from '@sightline/contracts'
import { describe, expect, it } from 'vitest'
import { VisitorsWindow } from '../src/live/visitors-window.ts'

// The active-visitors window on its own, on instants the test picks: who is "active" is a
// matter of the clock alone once the events have arrived.
const WINDOW = 5 * 60_000
const T0 = Date.parse('2026-03-01T12:00:00Z')
const seen = (person: string, path: string): LiveEvent =>
  ({ event: '$pageview', ts: new Date(T0).toISOString(), person, path, properties: {} }) as LiveEvent

describe('visitors window', () => {
  it('drops each person exactly one window after they were last heard from, with no new events', () => {
    const w = new VisitorsWindow(WINDOW)
    w.add(seen('x', '/a'), T0)
    w.add(seen('y', '/b'), T0 + 60_000)
    expect(w.summary(T0 + WINDOW - 1).active).toBe(2)
    const before = w.version
    const afterX = w.summary(T0 + WINDOW)
    expect(afterX).toMatchObject({ active: 1, top_pages: [{ key: '/b', count: 1 }] })
    // A departure is a change pushers can see.
    expect(w.version).toBeGreaterThan(before)
    expect(w.summary(T0 + 60_000 + WINDOW - 1).active).toBe(1)
    expect(w.summary(T0 + 60_000 + WINDOW)).toMatchObject({ active: 0, top_pages: [] })
    expect(w.nextLeaveMs()).toBe(Number.POSITIVE_INFINITY)
  })

  it('keeps a person seen again, where they were seen last, from their latest event on', () => {
    const w = new VisitorsWindow(WINDOW)
    w.add(seen('x', '/a'), T0)
    w.add(seen('y', '/b'), T0 + 1_000)
    w.add(seen('x', '/c'), T0 + 4 * 60_000)
    // y is now the longest unseen, x's first visit no longer counts.
    expect(w.nextLeaveMs()).toBe(T0 + 1_000 + WINDOW)
    expect(w.summary(T0 + WINDOW + 1_000)).toMatchObject({ active: 1, top_pages: [{ key: '/c', count: 1 }] })
    expect(w.nextLeaveMs()).toBe(T0 + 4 * 60_000 + WINDOW)
  })

  it('keeps top pages, sources and countries equal to a recount of the active persons', () => {
    // A seeded walk: 300 persons, some events without a path, source or country (the person
    // keeps the last one known), times moving forward so persons come, move and leave.
    let seed = 7
    const rnd = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed % n
    }
    const w = new VisitorsWindow(WINDOW, 5)
    const last = new Map<string, { at: number; path?: string; source?: string; country?: string }>()
    let now = T0
    for (let i = 0; i < 5_000; i++) {
      now += rnd(400)
      const person = `p${rnd(300)}`
      const e = {
        event: '$pageview',
        ts: new Date(now).toISOString(),
        person,
        properties: {},
        ...(rnd(5) > 0 ? { path: `/${rnd(12)}` } : {}),
        ...(rnd(4) > 0 ? { source: `s${rnd(6)}` } : {}),
        ...(rnd(3) > 0 ? { country: ['DE', 'FR', 'US', 'JP'][rnd(4)] } : {}),
      } as LiveEvent
      w.add(e, now)
      const prior = last.get(person)
      last.set(person, {
        at: now,
        path: e.path ?? prior?.path,
        source: e.source ?? prior?.source ?? '(direct)',
        country: e.country ?? prior?.country,
      })
      if (i % 97 !== 0) continue
      const at = now + rnd(WINDOW)
      const active = [...last.values()].filter((p) => at - p.at < WINDOW)
      const top = (pick: (p: (typeof active)[number]) => string | undefined) => {
        const counts = new Map<string, number>()
        for (const p of active) {
          const k = pick(p)
          if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1)
        }
        return [...counts]
          .map(([key, count]) => ({ key, count }))
          .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
          .slice(0, 5)
      }
      const got = w.summary(at)
      expect(got.active).toBe(active.length)
      expect(got.top_pages).toEqual(top((p) => p.path))
      expect(got.top_sources).toEqual(top((p) => p.source))
      expect(got.top_countries).toEqual(top((p) => p.country))
      // A summary expires the persons who left for good (one coming back starts afresh); the
      // walk goes on from its instant.
      for (const [person, p] of last) if (at - p.at >= WINDOW) last.delete(person)
      now = at
    }
  })
})
