import { type EdgeBatch, LIMITS } from '@sightline/contracts'
import type { RequestPlace } from './bridge-health.ts'
import type { ForwardResult } from './forward.ts'

/** What one client request gets back: the shared forward's outcome and the batch it rode in. */
export type CoalescedResult = ForwardResult & { batchId: string }

export interface CoalesceOptions {
  /**
   * Forwards per lane (site + surface + place) at the same time. Requests that arrive while
   * all are busy wait and leave together, as one signed batch, when one finishes: the
   * batches grow with the load and an idle edge adds no delay at all.
   */
  maxInFlight: number
  /** Events in one coalesced batch; never above what one client batch may carry. */
  maxEvents: number
  newId: () => string
}

type Forward = (batch: EdgeBatch, requestId: string, place: RequestPlace) => Promise<ForwardResult>

interface Member {
  batch: EdgeBatch
  /** Set by the leader once the group's forward ended. */
  outcome?: CoalescedResult | Error
}

interface Group {
  members: Member[]
  events: number
  /** Set when a slot came free for this group: its leader may send it. */
  started: boolean
}

interface Lane {
  inFlight: number
  waiting: Group[]
}

export const DEFAULT_COALESCE: Omit<CoalesceOptions, 'newId'> = {
  maxInFlight: 2,
  maxEvents: LIMITS.maxEventsPerBatch,
}

/**
 * Concurrent requests in one isolate share bridge batches (docs/adr/0021): the bridge's cost
 * is per batch (signature, HTTP exchange, stream append, writer round), so sixteen beacons in
 * one batch cost it about what one does. Each client is still answered only after the batch
 * holding its events is durable, with that batch's outcome — success, or the same 503 every
 * member would have got alone, since failover runs over the whole batch.
 *
 * A request is sent at once when its lane has a free slot; otherwise it joins the newest
 * waiting group with room. The first member of a group (its leader) sends the group itself,
 * from its own request (in workerd I/O belongs to the request that started it); the others
 * look for the outcome on their own timers (see `until`), so nothing crosses request contexts
 * but plain values.
 */
export class ForwardCoalescer {
  private readonly lanes = new Map<string, Lane>()

  constructor(
    private readonly forward: Forward,
    private readonly options: CoalesceOptions,
  ) {}

  submit(batch: EdgeBatch, requestId: string, place: RequestPlace): Promise<CoalescedResult> {
    // Refusals are stored under `batch_id:index`; merging would make two of them share an id.
    if (batch.rejected?.length || batch.events.length >= this.options.maxEvents) {
      return this.sendAlone(batch, requestId, place)
    }
    const key = laneKey(batch, place)
    const lane = this.lanes.get(key) ?? { inFlight: 0, waiting: [] }
    this.lanes.set(key, lane)
    if (lane.inFlight < this.options.maxInFlight && lane.waiting.length === 0) {
      lane.inFlight += 1
      return this.sendAlone(batch, requestId, place).finally(() => this.release(key, lane))
    }
    const last = lane.waiting.at(-1)
    if (last && last.events + batch.events.length <= this.options.maxEvents) {
      const member: Member = { batch }
      last.members.push(member)
      last.events += batch.events.length
      return outcomeOf(member)
    }
    return this.lead(batch, requestId, place, key, lane)
  }

  private async sendAlone(batch: EdgeBatch, requestId: string, place: RequestPlace) {
    return { ...(await this.forward(batch, requestId, place)), batchId: batch.batch_id }
  }

  private async lead(
    batch: EdgeBatch,
    requestId: string,
    place: RequestPlace,
    key: string,
    lane: Lane,
  ): Promise<CoalescedResult> {
    const own: Member = { batch }
    const group: Group = { members: [own], events: batch.events.length, started: false }
    lane.waiting.push(group)
    await until(() => group.started || undefined)
    // The group left `waiting` when its turn came: nobody joins it any more.
    const merged = group.members.length === 1 ? batch : this.merge(group.members.map((m) => m.batch))
    let outcome: CoalescedResult | Error
    try {
      outcome = { ...(await this.forward(merged, requestId, place)), batchId: merged.batch_id }
    } catch (err) {
      outcome = err instanceof Error ? err : new Error(String(err))
    } finally {
      this.release(key, lane)
    }
    for (const m of group.members) m.outcome = outcome
    return outcomeOf(own)
  }

  /** A slot came free: the oldest waiting group goes (its leader sends it). */
  private release(key: string, lane: Lane): void {
    lane.inFlight -= 1
    const next = lane.waiting.shift()
    if (next) {
      lane.inFlight += 1
      next.started = true
    } else if (lane.inFlight === 0) {
      this.lanes.delete(key)
    }
  }

  private merge(batches: EdgeBatch[]): EdgeBatch {
    const first = batches[0]!
    return {
      v: 1,
      batch_id: this.options.newId(),
      site_id: first.site_id,
      // Events carry their own received_at; the batch's is only read for refusals (none here).
      received_at: first.received_at,
      ...(first.ingest_path !== undefined ? { ingest_path: first.ingest_path } : {}),
      events: batches.flatMap((b) => b.events),
      rejected: [],
    }
  }
}

/** How often a waiting request looks whether its turn or its outcome has come. */
const POLL_MS = 1

/**
 * Waits, on this request's own timers, until `ready` gives a value. Not a promise another
 * request resolves: workerd ties a promise's settlement to the request that made it, and
 * under load such cross-request wake-ups failed ("Cannot perform I/O on behalf of a different
 * request", then "Promise will never complete"). Polling reads plain values only, and the
 * pending timer also keeps workerd from cancelling the wait as hung.
 */
async function until<T>(ready: () => T | undefined): Promise<T> {
  for (;;) {
    const value = ready()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

async function outcomeOf(member: Member): Promise<CoalescedResult> {
  const outcome = await until(() => member.outcome)
  if (outcome instanceof Error) throw outcome
  return outcome
}

/** Only batches that the bridge treats alike share one: same site, surface and routing place. */
function laneKey(batch: EdgeBatch, place: RequestPlace): string {
  return `${batch.site_id}\n${batch.ingest_path ?? ''}\n${place.continent ?? ''}\n${place.colo ?? ''}`
}
