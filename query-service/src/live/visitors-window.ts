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
 *
 * The per-page, per-source and per-country counts of active persons are kept as persons
 * arrive, move and leave, so a summary costs the distinct pages, sources and countries, not
 * the active persons: a site taking thousands of events a second has hundreds of thousands
 * of persons in five minutes, and counting them on every push held the event loop.
 */
export class VisitorsWindow {
  private readonly persons = new Map<string, Seen>()
  private readonly pages = new Map<string, number>()
  private readonly sources = new Map<string, number>()
  private readonly countries = new Map<string, number>()
  /** Bumped on every change, so pushers can tell "nothing new" without comparing summaries. */
  version = 0

  constructor(
    private readonly windowMs: number,
    private readonly top = 10,
  ) {}

  add(event: LiveEvent, nowMs: number): void {
    const prior = this.persons.get(event.person)
    if (prior) this.uncount(prior)
    // Arrival time, not the event's own clock: "active now" is about when we heard from them.
    this.persons.delete(event.person)
    const seen: Seen = {
      lastMs: nowMs,
      path: event.path ?? prior?.path,
      source: event.source ?? prior?.source ?? '(direct)',
      country: event.country ?? prior?.country,
    }
    this.persons.set(event.person, seen)
    bump(this.pages, seen.path, 1)
    bump(this.sources, seen.source, 1)
    bump(this.countries, seen.country, 1)
    this.version++
  }

  summary(nowMs: number): VisitorsData {
    this.expire(nowMs)
    return {
      at: new Date(nowMs).toISOString(),
      window_s: this.windowMs / 1000,
      active: this.persons.size,
      top_pages: rank(this.pages, this.top),
      top_sources: rank(this.sources, this.top),
      top_countries: rank(this.countries, this.top),
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
      this.uncount(seen)
      this.version++
    }
  }

  private uncount(seen: Seen): void {
    bump(this.pages, seen.path, -1)
    bump(this.sources, seen.source, -1)
    bump(this.countries, seen.country, -1)
  }
}

/** Adds `by` to a key's count; a count that reaches 0 is removed, so maps hold active keys only. */
function bump(counts: Map<string, number>, key: string | undefined, by: 1 | -1): void {
  if (key === undefined) return
  const next = (counts.get(key) ?? 0) + by
  if (next > 0) counts.set(key, next)
  else counts.delete(key)
}

/** The `top` largest counts, ties by key. The maps hold distinct active keys only, so a sort is cheap. */
function rank(counts: Map<string, number>, top: number): Ranked[] {
  return [...counts]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
    .slice(0, top)
}
