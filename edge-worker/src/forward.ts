import { type EdgeBatch, SIGNATURE_HEADER, signBody } from '@sightline/contracts'
import type { BridgeHealth, RequestPlace } from './bridge-health.ts'
import type { Bridge } from './config.ts'

export interface ForwardDeps {
  bridges: readonly Bridge[]
  signing: { keyId: string; secret: string }
  now: () => number
  fetch: typeof fetch
  attemptTimeoutMs: number
  /** Regional routing and health; without it bridges are tried in the given order. */
  health?: BridgeHealth
}

export interface Attempt {
  region: string
  url: string
  /** HTTP status, or why there was none. */
  outcome: number | 'timeout' | 'network_error'
}

/**
 * A bridge's 429: the site is over its events_per_minute quota (ADR 0032). The counters are
 * shared by every bridge, so another bridge would say the same: the client is told instead.
 * Plain values, so coalesced requests can share it across request contexts.
 */
export interface BridgeRefusal {
  status: 429
  /** The bridge's Retry-After header, as sent (undefined if it sent none). */
  retryAfter: string | undefined
  /** The bridge's body text (the error contract). */
  body: string
}

export type ForwardResult =
  | { ok: true; bridge: Bridge; attempts: Attempt[] }
  | { ok: false; attempts: Attempt[]; refusal?: BridgeRefusal }

/**
 * Hands a batch to the first bridge, in try order (priority; with `health`, nearest healthy
 * first), that answers 2xx — which a bridge does only once the batch is durable. A 429 ends
 * the attempts (the site's quota is one across bridges) and is returned as `refusal`. Any
 * other answer (including other 4xx: a bridge with a stale key must not make the edge drop
 * data another bridge would take) moves on to the next. The same batch_id travels on every
 * attempt so a bridge that did persist a batch but answered too late lets the writer drop
 * the duplicate.
 */
export async function forwardBatch(
  batch: EdgeBatch,
  deps: ForwardDeps,
  requestId: string,
  place: RequestPlace = {},
): Promise<ForwardResult> {
  const body = JSON.stringify(batch)
  const attempts: Attempt[] = []
  const health = deps.health
  const bridges = health ? health.order(deps.bridges, place, deps.now()) : deps.bridges
  for (const bridge of bridges) {
    const url = `${bridge.url}/v1/ingest`
    // Signed per attempt: the timestamp must be fresh for the bridge's replay window.
    const signature = await signBody(body, deps.signing.keyId, deps.signing.secret, deps.now())
    // A timer we clear ourselves, not AbortSignal.timeout(): that one stays armed for the full
    // period after a fast answer, and workerd caps active timers per request context (10,000;
    // found by the fuzz suite, where one context serves every request).
    const abort = new AbortController()
    const timer = setTimeout(
      () => abort.abort(new DOMException('bridge attempt timed out', 'TimeoutError')),
      deps.attemptTimeoutMs,
    )
    try {
      const response = await deps.fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signature,
          'x-sightline-batch-id': batch.batch_id,
          'x-request-id': requestId,
        },
        body,
        signal: abort.signal,
      })
      attempts.push({ region: bridge.region, url, outcome: response.status })
      if (response.status === 429) {
        // The bridge is up and answered for the whole cluster: no health mark, no failover.
        const text = await response.text().catch(() => '')
        return {
          ok: false,
          attempts,
          refusal: { status: 429, retryAfter: response.headers.get('retry-after') ?? undefined, body: text },
        }
      }
      // Drain so the connection can be reused; the bridge's body is not needed.
      await response.body?.cancel().catch(() => {})
      if (response.ok) {
        health?.markOk(bridge)
        return { ok: true, bridge, attempts }
      }
      // A 4xx is about this batch or our key, not the bridge being down: no health mark.
      if (response.status >= 500) health?.markFailed(bridge, deps.now())
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
      attempts.push({ region: bridge.region, url, outcome: timedOut ? 'timeout' : 'network_error' })
      health?.markFailed(bridge, deps.now())
    } finally {
      clearTimeout(timer)
    }
  }
  return { ok: false, attempts }
}
