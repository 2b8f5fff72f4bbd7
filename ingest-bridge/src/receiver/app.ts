import { type ErrorCode, SIGNATURE_HEADER, type SigningKeys, verifyBody } from '@sightline/contracts'
import { type RequestIdEnv, renderError } from '@sightline/http'
import type { EventStream } from '@sightline/stream'
import { Hono } from 'hono'
import type { Counters } from '../metrics.ts'
import { MAX_EDGE_BATCH_BYTES, readEdgeBatch } from './edge-batch.ts'
import { applyGeoFallback, type GeoLookup } from './geo.ts'
import { nodeMacVerifier } from './node-hmac.ts'

export interface ReceiverDeps {
  stream: EventStream
  topic: string
  signingKeys: SigningKeys
  counters: Counters
  now?: () => number
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void
  /** Geo fallback for events the edge could not place (see geo.ts); without it, hints are just dropped. */
  geo?: GeoLookup
}

/**
 * POST /v1/ingest: verify → append → 2xx. The 2xx is the delivery contract: it is sent
 * only after the stream says the batch is durable, so the edge may tell the client "yes".
 * The record value is the signed body as received — no re-serialisation on the hot path
 * (only a batch carrying geo hints for the fallback is rewritten, see geo.ts).
 */
export function receiverRoutes(deps: ReceiverDeps): Hono<RequestIdEnv> {
  const app = new Hono<RequestIdEnv>()
  const now = deps.now ?? Date.now
  deps.counters.describe('sightline_bridge_batches_total', 'Edge batches by outcome')
  deps.counters.describe('sightline_bridge_events_total', 'Events appended to the stream')

  app.post('/v1/ingest', async (c) => {
    const refuse = (code: ErrorCode, message: string) => {
      deps.counters.inc('sightline_bridge_batches_total', { outcome: code })
      return renderError(c, code, message)
    }
    const declared = Number(c.req.header('content-length') ?? '0')
    if (declared > MAX_EDGE_BATCH_BYTES) return refuse('payload_too_large', 'edge batch is too large')
    const body = new Uint8Array(await c.req.arrayBuffer())
    if (body.byteLength > MAX_EDGE_BATCH_BYTES) return refuse('payload_too_large', 'edge batch is too large')

    const signature = await verifyBody(
      c.req.header(SIGNATURE_HEADER),
      body,
      deps.signingKeys,
      now(),
      undefined,
      nodeMacVerifier,
    )
    if (!signature.ok) return refuse(signature.code, signature.message)

    let parsed: unknown
    try {
      parsed = JSON.parse(new TextDecoder().decode(body))
    } catch {
      return refuse('invalid_json', 'edge batch is not valid JSON')
    }
    const batch = readEdgeBatch(parsed)
    if (!batch.ok) return refuse(batch.code, batch.message)
    const value = applyGeoFallback(batch.value, deps.geo) ?? body

    try {
      const { partition, baseOffset } = await deps.stream.append(deps.topic, [
        { key: batch.value.site_id, value },
      ])
      deps.counters.inc('sightline_bridge_batches_total', { outcome: 'durable' })
      deps.counters.inc(
        'sightline_bridge_events_total',
        { site: batch.value.site_id },
        batch.value.events.length,
      )
      return c.json({ ok: true, batch_id: batch.value.batch_id, partition, offset: baseOffset })
    } catch (err) {
      deps.log?.('error', 'stream append failed', { err: String(err), batch_id: batch.value.batch_id })
      deps.counters.inc('sightline_bridge_batches_total', { outcome: 'not_durable' })
      return renderError(c, 'not_durable', 'the batch could not be made durable; retry', { retryAfterS: 1 })
    }
  })

  return app
}
