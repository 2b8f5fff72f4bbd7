import { randomUUID } from 'node:crypto'
import { CANARY_SITE, canaryBatch } from '@sightline/contracts'
import type { Counters } from '../metrics.ts'
import { type AppendTarget, appendEdgeBatch } from './append.ts'

/** Once a minute: enough to see a lag build up, and one record a minute per bridge costs nothing. */
export const DEFAULT_CANARY_INTERVAL_MS = 60_000

export interface CanaryDeps extends AppendTarget {
  /** Names this bridge in `ingest_stats` and the ingest endpoint (shown to every read key). */
  bridgeId: string
  intervalMs: number
  counters: Counters
  now?: () => number
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void
}

export interface CanarySender {
  /** Makes and appends one canary now (the timer calls this; so may a test). */
  send(): Promise<void>
  /** No further canaries; waits for one being appended. */
  stop(): Promise<void>
}

/**
 * Appends a canary every `intervalMs` through the receiver's own append path, the first one
 * an interval after start. A failed append is counted and logged, never retried: the next
 * canary is the retry, and a gap in the canaries is itself the signal.
 */
export function startCanary(deps: CanaryDeps): CanarySender {
  const now = deps.now ?? Date.now
  deps.counters.describe('sightline_bridge_canaries_total', 'Canary batches this bridge appended, by outcome')
  let timer: ReturnType<typeof setTimeout> | undefined
  let inFlight: Promise<void> | undefined
  let stopped = false

  async function send(): Promise<void> {
    const batch = canaryBatch({ bridgeId: deps.bridgeId, createdAtMs: now() }, randomUUID())
    try {
      await appendEdgeBatch(deps, CANARY_SITE, new TextEncoder().encode(JSON.stringify(batch)))
      deps.counters.inc('sightline_bridge_canaries_total', { outcome: 'durable' })
    } catch (err) {
      deps.counters.inc('sightline_bridge_canaries_total', { outcome: 'failed' })
      deps.log?.('warn', 'canary append failed', { err: String(err) })
    }
  }

  function schedule(): void {
    if (stopped) return
    timer = setTimeout(() => {
      inFlight = send().finally(() => {
        inFlight = undefined
        schedule()
      })
    }, deps.intervalMs)
    // A canary never keeps a process alive.
    timer.unref?.()
  }
  schedule()

  return {
    send,
    async stop() {
      stopped = true
      clearTimeout(timer)
      await inFlight
    },
  }
}
