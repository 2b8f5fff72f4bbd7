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
})
