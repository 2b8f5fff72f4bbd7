import type { SiteWatermark } from '../ports.ts'

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
  now: () => number
  /** Runs one spec once; aborting kills the warehouse query. */
  evaluate(site: string, spec: SharedSpec, signal: AbortSignal): Promise<Evaluated>
  /** A run slot charged to one of `keys` (the members' read keys); waits while all are at their cap. */
  acquire(keys: readonly string[], signal: AbortSignal): Promise<() => void>
}

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
  timer?: ReturnType<typeof setTimeout>
  lastStartMs: number
  abort: AbortController
}

/**
 * Shared runs of live `query` subscriptions (ADR 0029). Subscribers of the same site and
 * canonical spec form one group; a group runs when a member needs a snapshot and when a
 * commit moved its site's watermark, at most once per `minIntervalMs`, and one run serves
 * every member. An update goes out only when the result changed.
 */
export class QueryGroups {
  private readonly groups = new Map<string, Group>()
  private readonly unlisten: () => void

  constructor(private readonly deps: QueryGroupsDeps) {
    this.unlisten = deps.watermark.onCommit((sites) => this.onCommit(sites))
  }

  /** Groups alive now (one per distinct site + canonical spec with a subscriber). */
  size(): number {
    return this.groups.size
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
    clearTimeout(g.timer)
    g.timer = undefined
    g.abort.abort()
  }

  private onCommit(sites: ReadonlySet<string> | undefined): void {
    for (const [id, g] of this.groups) {
      if (sites !== undefined && !sites.has(g.site)) continue
      if (g.last !== undefined && this.deps.watermark.forSite(g.site) === g.last.watermark) continue
      this.schedule(id, g)
    }
  }

  /** Debounced: runs at once if the last run started `minIntervalMs` ago, else when it has. */
  private schedule(id: string, g: Group): void {
    if (g.running) {
      g.dirty = true
      return
    }
    if (g.timer !== undefined) return
    const delay = Math.max(0, g.lastStartMs + this.deps.minIntervalMs - this.deps.now())
    g.timer = setTimeout(() => {
      g.timer = undefined
      void this.run(id, g)
    }, delay)
  }

  private async run(id: string, g: Group): Promise<void> {
    if (this.groups.get(id) !== g) return
    g.running = true
    g.dirty = false
    g.lastStartMs = this.deps.now()
    // Read before the query runs: rows committed meanwhile may be in the answer, but then a
    // later commit notice runs it again, so no result is ever labelled newer than it is.
    const watermark = this.deps.watermark.forSite(g.site)
    try {
      const release = await this.deps.acquire(
        [...g.members].map((m) => m.key),
        g.abort.signal,
      )
      let result: Evaluated
      try {
        result = await this.deps.evaluate(g.site, g.spec, g.abort.signal)
      } finally {
        release()
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
        const moved = g.last === undefined || this.deps.watermark.forSite(g.site) !== g.last.watermark
        if (g.awaiting.size > 0 || (g.dirty && moved)) this.schedule(id, g)
      }
    }
  }
}
