import type { Canary } from '@sightline/contracts'
import type { IngestCount, RejectStage } from '@sightline/warehouse'

/**
 * What one attempt at a batch did, by site and reason: filled while the batch is loaded, turned
 * into `ingest_stats` counts once it committed. A failed attempt's tally is simply dropped.
 */
export class IngestTally {
  readonly #inserted = new Map<string, number>()
  readonly #duplicates = new Map<string, number>()
  readonly #refused = new Map<string, Extract<IngestCount, { outcome: 'refused' }>>()
  readonly #canaries: Canary[] = []

  inserted(siteId: string, events = 1): void {
    add(this.#inserted, siteId, events)
  }

  duplicate(siteId: string, events = 1): void {
    add(this.#duplicates, siteId, events)
  }

  refused(siteId: string, stage: RejectStage, reason: string, events = 1): void {
    const key = `${siteId}\n${stage}\n${reason}`
    const count = this.#refused.get(key)
    if (count) count.events += events
    else this.#refused.set(key, { outcome: 'refused', siteId, stage, reason, events })
  }

  canary(canary: Canary): void {
    this.#canaries.push(canary)
  }

  /** Events counted as duplicates, over every site. */
  duplicates(): number {
    let sum = 0
    for (const n of this.#duplicates.values()) sum += n
    return sum
  }

  /** The counts, each canary's lag measured up to `committedAtMs` (the writer's clock). */
  counts(committedAtMs: number): IngestCount[] {
    const out: IngestCount[] = []
    for (const [siteId, events] of this.#inserted) out.push({ outcome: 'inserted', siteId, events })
    for (const [siteId, events] of this.#duplicates) out.push({ outcome: 'duplicate', siteId, events })
    out.push(...this.#refused.values())
    for (const c of this.#canaries)
      out.push({ outcome: 'canary', ...c, lagMs: committedAtMs - c.createdAtMs })
    return out
  }
}

function add(counts: Map<string, number>, siteId: string, events: number): void {
  if (events > 0) counts.set(siteId, (counts.get(siteId) ?? 0) + events)
}
