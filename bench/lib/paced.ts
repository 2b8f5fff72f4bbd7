import { Agent } from 'node:http'
import type { PreparedBatch } from './batches.ts'
import { epochNow, post } from './load.ts'

export interface PacedLoad {
  /** True once every pre-generated batch has been sent: from then on there is no load. */
  readonly exhausted: boolean
  /** Stops sending, waits for the requests in flight, and reports what was achieved. */
  stop(): Promise<PacedResult>
}

export interface PacedResult {
  targetEventsPerSec: number
  /** Events answered 2xx per second between the first send and stop(). */
  achievedEventsPerSec: number
  durationMs: number
  events: number
  requests: number
  /** Non-2xx answers and transport errors (not retried: the schedule moves on). */
  failures: number
  /** Sends skipped because `maxInFlight` requests were already waiting (server too slow). */
  skipped: number
  /** The pre-generated batches ran out before stop() (the level ran longer than planned). */
  exhausted: boolean
}

/**
 * Open-loop background load: batches go out on a fixed schedule (eventsPerSec), not as fast
 * as the server answers, so a slow server shows up as a growing backlog rather than a lower
 * offered rate. At most `maxInFlight` requests wait at once; a send due while that many wait
 * is skipped and counted, so the achieved rate is always reported next to the target.
 */
export function startPacedLoad(
  port: number,
  batches: PreparedBatch[],
  eventsPerSec: number,
  maxInFlight = 64,
): PacedLoad {
  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight, maxFreeSockets: maxInFlight })
  const perBatch = batches.length > 0 ? batches.reduce((n, b) => n + b.events, 0) / batches.length : 1
  const batchesPerMs = eventsPerSec / perBatch / 1000
  const startedAt = performance.now()
  const firstSendAt = epochNow()
  let due = 0
  let next = 0
  let inFlight = 0
  let events = 0
  let failures = 0
  let skipped = 0
  let stopping = false
  const pending = new Set<Promise<void>>()

  function send(batch: PreparedBatch): void {
    inFlight++
    const p = post(agent, port, batch)
      .catch(() => 0)
      .then((status) => {
        if (status >= 200 && status < 300) events += batch.events
        else failures++
      })
      .finally(() => {
        inFlight--
        pending.delete(p)
      })
    pending.add(p)
  }

  const tick = () => {
    if (stopping) return
    const target = Math.floor((performance.now() - startedAt) * batchesPerMs) + 1
    while (due < target && next < batches.length) {
      due++
      if (inFlight >= maxInFlight) skipped++
      else send(batches[next++]!)
    }
    setTimeout(tick, 2)
  }
  tick()

  return {
    get exhausted() {
      return next >= batches.length
    },
    async stop() {
      stopping = true
      const durationMs = epochNow() - firstSendAt
      await Promise.all(pending)
      agent.destroy()
      return {
        targetEventsPerSec: eventsPerSec,
        achievedEventsPerSec: Math.round((events * 1000) / durationMs),
        durationMs: Math.round(durationMs),
        events,
        requests: next,
        failures,
        skipped,
        exhausted: next >= batches.length,
      }
    },
  }
}
