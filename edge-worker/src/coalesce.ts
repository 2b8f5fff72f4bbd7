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
  settle: (result: CoalescedResult | Error) => void
}

interface Group {
  members: Member[]
  events: number
  /** Resolves the leader's own promise: its turn to send the group. */
  go: () => void
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
 * from its own request: in workerd I/O belongs to the request that started it, and each
 * member waits on a promise made in its own request, so nothing crosses request contexts but
 * plain values (workerd runs each continuation in the request that made its promise).
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
      return heldOpen(
        new Promise<CoalescedResult>((resolve, reject) => {
          last.members.push({ batch, settle: (r) => (r instanceof Error ? reject(r) : resolve(r)) })
          last.events += batch.events.length
        }),
      )
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
    let go!: () => void
    const turn = new Promise<void>((resolve) => (go = resolve))
    const group: Group = { members: [], events: batch.events.length, go }
    let own!: Member['settle']
    const mine = new Promise<CoalescedResult>((resolve, reject) => {
      own = (r) => (r instanceof Error ? reject(r) : resolve(r))
    })
    group.members.push({ batch, settle: own })
    lane.waiting.push(group)
    await heldOpen(turn)
    // The group left `waiting` when its turn came: nobody joins it any more.
    const merged = group.members.length === 1 ? batch : this.merge(group.members.map((m) => m.batch))
    try {
      const result: CoalescedResult = {
        ...(await this.forward(merged, requestId, place)),
        batchId: merged.batch_id,
      }
      for (const m of group.members) m.settle(result)
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err))
      for (const m of group.members) m.settle(error)
    } finally {
      this.release(key, lane)
    }
    return mine
  }

  /** A slot came free: the oldest waiting group goes (its leader sends it). */
  private release(key: string, lane: Lane): void {
    lane.inFlight -= 1
    const next = lane.waiting.shift()
    if (next) {
      lane.inFlight += 1
      next.go()
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

/**
 * Waits on a promise another request will settle. workerd cancels a request that waits with
 * nothing of its own pending (it "hung": no I/O, no timer could ever wake it), so the wait
 * holds a timer that does nothing; the wait itself is bounded by the leader's forward, which
 * ends within the attempt timeouts.
 */
function heldOpen<T>(promise: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1_000)
  return promise.finally(() => clearInterval(timer))
}

/** Only batches that the bridge treats alike share one: same site, surface and routing place. */
function laneKey(batch: EdgeBatch, place: RequestPlace): string {
  return `${batch.site_id}\n${batch.ingest_path ?? ''}\n${place.continent ?? ''}\n${place.colo ?? ''}`
}
