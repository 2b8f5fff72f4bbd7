import type { LiveEvent } from '@sightline/contracts'
import type { Ranked, VisitorsData } from '@sightline/live-client'

interface Seen {
  lastMs: number
  path?: string
  source?: string
  country?: string
}

/**
 * Persons active in the last `windowMs`, each with where they were last seen. Memory is
 * one small entry per active person; expired ones are dropped on every summary.
 */
export class VisitorsWindow {
  private readonly persons = new Map<string, Seen>()
  /** Bumped on every change, so pushers can tell "nothing new" without comparing summaries. */
  version = 0

  constructor(
    private readonly windowMs: number,
    private readonly top = 10,
  ) {}

  add(event: LiveEvent, nowMs: number): void {
    const prior = this.persons.get(event.person)
    // Arrival time, not the event's own clock: "active now" is about when we heard from them.
    this.persons.delete(event.person)
    this.persons.set(event.person, {
      lastMs: nowMs,
      path: event.path ?? prior?.path,
      source: event.source ?? prior?.source ?? '(direct)',
      country: event.country ?? prior?.country,
    })
    this.version++
  }

  summary(nowMs: number): VisitorsData {
    this.expire(nowMs)
    const pages = new Map<string, number>()
    const sources = new Map<string, number>()
    const countries = new Map<string, number>()
    for (const seen of this.persons.values()) {
      bump(pages, seen.path)
      bump(sources, seen.source)
      bump(countries, seen.country)
    }
    return {
      at: new Date(nowMs).toISOString(),
      window_s: this.windowMs / 1000,
      active: this.persons.size,
      top_pages: rank(pages, this.top),
      top_sources: rank(sources, this.top),
      top_countries: rank(countries, this.top),
    }
  }

  /**
   * The instant the longest-unseen person leaves the window (Infinity when nobody is in it):
   * until then, and without an `add`, a summary cannot change.
   */
  nextLeaveMs(): number {
    for (const seen of this.persons.values()) return seen.lastMs + this.windowMs
    return Number.POSITIVE_INFINITY
  }

  private expire(nowMs: number): void {
    // Insertion order is last-seen order (add re-inserts), so expiry stops at the first fresh one.
    for (const [person, seen] of this.persons) {
      if (nowMs - seen.lastMs < this.windowMs) break
      this.persons.delete(person)
      this.version++
    }
  }
}

function bump(counts: Map<string, number>, key: string | undefined): void {
  if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1)
}

function rank(counts: Map<string, number>, top: number): Ranked[] {
  return [...counts]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
    .slice(0, top)
}
