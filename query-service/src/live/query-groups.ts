import type { SiteWatermark, Timers } from '../ports.ts'
import { RunSlots } from './run-slots.ts'

/** One evaluation of a group's spec: the answer, and what decides whether it changed. */
export interface Evaluated {
  data: Record<string, unknown>
  /** Equal fingerprints mean equal results (the warehouse rows, canonical JSON). */
  fingerprint: string
}

/** A live `query` subscriber, as the group sees it. */
export interface Member {
  /** The read key the subscriber authenticated with: runs draw on its budget. */
  readonly key: string
  deliver(kind: 'snapshot' | 'update', data: Record<string, unknown>, watermark: string): void
  /** `initial`: the run that was to give this member its snapshot failed. */
  fail(err: unknown, initial: boolean): void
}

export interface QueryGroupsDeps {
  watermark: SiteWatermark
  /** A group runs at most once per this interval (trailing: the last change is never lost). */
  minIntervalMs: number
  /** The clock runs are resolved at, and the timers of the debounce and of clock runs. */
  timers: Timers
  /** Runs one spec once, resolved at `atMs` (a relative range ends there); aborting kills the query. */
  evaluate(site: string, spec: SharedSpec, atMs: number, signal: AbortSignal): Promise<Evaluated>
  /**
   * The first instant after `atMs` at which the spec's answer may change with no new data
   * (its range moves with the clock), or undefined when only new data can change it.
   */
  clockRunAfter(spec: SharedSpec, atMs: number): number | undefined
  /** A run slot charged to one of `keys` (the members' read keys); waits while all are at their cap. */
  acquire(keys: readonly string[], signal: AbortSignal): Promise<() => void>
  /**
   * Runs of all groups evaluating at once: the warehouse's read slots (more would only queue
   * in its FIFO gate, where the order is arrival, not cost). Waiters go shortest first.
   */
  maxConcurrentRuns: number
}

/** A spec's runs take at most 1/RUN_SHARE of the time between their starts (see `schedule`). */
export const RUN_SHARE = 4

/** What a group evaluates: opaque here, given by the first member's subscribe. */
export type SharedSpec = unknown

interface Group {
  site: string
  spec: SharedSpec
  members: Set<Member>
  /** Members waiting for their first data: they get a snapshot, everyone else an update. */
  awaiting: Set<Member>
  last?: Evaluated & { watermark: string }
  running: boolean
  /** A commit arrived while running: run again once this run is over. */
  dirty: boolean
  /** The clock reached `clockRunAfter` of the last run: run again even if no data moved. */
  clockDue: boolean
  /** The debounce: a run is due when it fires. */
  timer?: unknown
  /** Fires at the next instant the clock alone may change the answer (relative ranges only). */
  clockTimer?: unknown
  lastStartMs: number
  /** How long its runs take (a moving average of the evaluations): its place among waiting runs. */
  costMs?: number
  abort: AbortController
}

/**
 * Shared runs of live `query` subscriptions (ADR 0029). Subscribers of the same site and
 * canonical spec form one group; a group runs when a member needs a snapshot, when a commit
 * moved its site's watermark, and, for a spec whose range moves with the clock, when the
 * clock reaches the instant its answer may change without new data; at most once per
 * `minIntervalMs`, and one run serves every member. An update goes out only when the result
 * changed. A group holds at most one debounce timer and one clock timer, both cleared when
 * its last member leaves or the groups close.
 */
export class QueryGroups {
  private readonly groups = new Map<string, Group>()
  private readonly unlisten: () => void
  private readonly slots: RunSlots

  constructor(private readonly deps: QueryGroupsDeps) {
    this.slots = new RunSlots(deps.maxConcurrentRuns, () => deps.timers.now())
    this.unlisten = deps.watermark.onCommit((sites) => this.onCommit(sites))
  }

  /** Groups alive now (one per distinct site + canonical spec with a subscriber). */
  size(): number {
    return this.groups.size
  }

  /** Groups waiting for the clock (a relative range): each holds exactly one clock timer. */
  clockWaiting(): number {
    let n = 0
    for (const g of this.groups.values()) if (g.clockTimer !== undefined) n++
    return n
  }

  /**
   * Adds a member to the group of `canonical` on `site`. With `snapshot` it gets the group's
   * current result at once, or after the first run; without (a resume whose `since` was
   * current) it only gets updates. Returns the leave function.
   */
  join(site: string, canonical: string, spec: SharedSpec, member: Member, snapshot: boolean): () => void {
    const id = `${site}\n${canonical}`
    let group = this.groups.get(id)
    if (!group) {
      group = {
        site,
        spec,
        members: new Set(),
        awaiting: new Set(),
        running: false,
        dirty: false,
        clockDue: false,
        lastStartMs: Number.NEGATIVE_INFINITY,
        abort: new AbortController(),
      }
      this.groups.set(id, group)
    }
    const g = group
    g.members.add(member)
    if (snapshot) {
      if (g.last) member.deliver('snapshot', g.last.data, g.last.watermark)
      else {
        g.awaiting.add(member)
        // The first snapshot is not debounced: nobody has waited yet.
        if (!g.running && g.timer === undefined) void this.run(id, g)
      }
    }
    return () => this.leave(id, g, member)
  }

  close(): void {
    this.unlisten()
    for (const [id, g] of this.groups) this.dispose(id, g)
  }

  private leave(id: string, g: Group, member: Member): void {
    g.members.delete(member)
    g.awaiting.delete(member)
    if (g.members.size === 0) this.dispose(id, g)
  }

  private dispose(id: string, g: Group): void {
    if (this.groups.get(id) === g) this.groups.delete(id)
    this.deps.timers.clearTimeout(g.timer)
    g.timer = undefined
    this.deps.timers.clearTimeout(g.clockTimer)
    g.clockTimer = undefined
    g.abort.abort()
  }

  private onCommit(sites: ReadonlySet<string> | undefined): void {
    for (const [id, g] of this.groups) {
      if (sites !== undefined && !sites.has(g.site)) continue
      if (g.last !== undefined && this.deps.watermark.forSite(g.site) === g.last.watermark) continue
      this.schedule(id, g)
    }
  }

  /**
   * Debounced: runs at once if the last run started `minIntervalMs` ago, else when it has. A
   * spec whose runs take longer than a `RUN_SHARE`th of that waits `RUN_SHARE` times its run
   * between starts instead, so one spec holds at most that share of a read slot: a dashboard
   * on a busy site refreshes a little less often rather than delaying every other spec.
   */
  private schedule(id: string, g: Group): void {
    if (g.running) {
      g.dirty = true
      return
    }
    if (g.timer !== undefined) return
    const interval = Math.max(this.deps.minIntervalMs, RUN_SHARE * (g.costMs ?? 0))
    const delay = Math.max(0, g.lastStartMs + interval - this.deps.timers.now())
    g.timer = this.deps.timers.setTimeout(() => {
      g.timer = undefined
      void this.run(id, g)
    }, delay)
  }

  /**
   * After a run resolved at `atMs` (failed or not: a failed re-run of a moving range is tried
   * again by the clock too), waits for the next instant the clock alone may change the answer.
   * One clock timer per group: each run replaces it, as the run covered every instant before.
   */
  private armClock(id: string, g: Group, atMs: number): void {
    this.deps.timers.clearTimeout(g.clockTimer)
    g.clockTimer = undefined
    const next = this.deps.clockRunAfter(g.spec, atMs)
    if (next === undefined) return
    g.clockTimer = this.deps.timers.setTimeout(
      () => {
        g.clockTimer = undefined
        g.clockDue = true
        this.schedule(id, g)
      },
      Math.max(0, next - this.deps.timers.now()),
    )
  }

  private async run(id: string, g: Group): Promise<void> {
    if (this.groups.get(id) !== g) return
    g.running = true
    g.dirty = false
    let atMs: number | undefined
    let watermark = ''
    try {
      const releaseKey = await this.deps.acquire(
        [...g.members].map((m) => m.key),
        g.abort.signal,
      )
      let result: Evaluated
      try {
        const releaseSlot = await this.slots.acquire(g.costMs, g.abort.signal)
        try {
          // Read before the query runs: rows committed meanwhile may be in the answer, but then
          // a later commit notice runs it again, so no result is labelled newer than it is.
          watermark = this.deps.watermark.forSite(g.site)
          // The interval counts from here, not from the wait: "at most once a second" is about
          // evaluations. The range is resolved now too, so a clock run that waited for a slot
          // still covers the instant that made it due.
          atMs = this.deps.timers.now()
          g.lastStartMs = atMs
          g.clockDue = false
          result = await this.deps.evaluate(g.site, g.spec, atMs, g.abort.signal)
          const took = this.deps.timers.now() - atMs
          g.costMs = g.costMs === undefined ? took : (g.costMs + took) / 2
        } finally {
          releaseSlot()
        }
      } finally {
        releaseKey()
      }
      if (g.abort.signal.aborted) return
      const changed = g.last === undefined || g.last.fingerprint !== result.fingerprint
      g.last = { ...result, watermark }
      const awaiting = [...g.awaiting]
      g.awaiting.clear()
      for (const m of awaiting) m.deliver('snapshot', result.data, watermark)
      if (changed) {
        for (const m of g.members) if (!awaiting.includes(m)) m.deliver('update', result.data, watermark)
      }
    } catch (err) {
      if (g.abort.signal.aborted) return
      const awaiting = [...g.awaiting]
      g.awaiting.clear()
      for (const m of [...g.members]) m.fail(err, awaiting.includes(m))
    } finally {
      g.running = false
      if (this.groups.get(id) === g) {
        if (atMs !== undefined) this.armClock(id, g, atMs)
        const moved = g.last === undefined || this.deps.watermark.forSite(g.site) !== g.last.watermark
        if (g.awaiting.size > 0 || (g.dirty && moved) || g.clockDue) this.schedule(id, g)
      }
    }
  }
}
