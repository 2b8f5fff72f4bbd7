import { type EdgeBatch, SIGNATURE_HEADER, signBody } from '@sightline/contracts'
import type { Bridge } from './config.ts'

export interface ForwardDeps {
  bridges: readonly Bridge[]
  signing: { keyId: string; secret: string }
  now: () => number
  fetch: typeof fetch
  attemptTimeoutMs: number
}

export interface Attempt {
  region: string
  url: string
  /** HTTP status, or why there was none. */
  outcome: number | 'timeout' | 'network_error'
}

export type ForwardResult =
  | { ok: true; bridge: Bridge; attempts: Attempt[] }
  | { ok: false; attempts: Attempt[] }

/**
 * Hands a batch to the first bridge, in priority order, that answers 2xx — which a bridge
 * does only once the batch is durable. Any other answer (including 4xx: a bridge with a
 * stale key must not make the edge drop data another bridge would take) moves on to the
 * next. The same batch_id travels on every attempt so a bridge that did persist a batch
 * but answered too late lets the writer drop the duplicate.
 */
export async function forwardBatch(
  batch: EdgeBatch,
  deps: ForwardDeps,
  requestId: string,
): Promise<ForwardResult> {
  const body = JSON.stringify(batch)
  const attempts: Attempt[] = []
  for (const bridge of deps.bridges) {
    const url = `${bridge.url}/v1/ingest`
    // Signed per attempt: the timestamp must be fresh for the bridge's replay window.
    const signature = await signBody(body, deps.signing.keyId, deps.signing.secret, deps.now())
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
        signal: AbortSignal.timeout(deps.attemptTimeoutMs),
      })
      // Drain so the connection can be reused; the bridge's body is not needed.
      await response.body?.cancel().catch(() => {})
      attempts.push({ region: bridge.region, url, outcome: response.status })
      if (response.ok) return { ok: true, bridge, attempts }
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
      attempts.push({ region: bridge.region, url, outcome: timedOut ? 'timeout' : 'network_error' })
    }
  }
  return { ok: false, attempts }
}
