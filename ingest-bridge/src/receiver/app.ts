import {
  CANARY_SITE,
  type EdgeBatch,
  type ErrorCode,
  isCanary,
  SIGNATURE_HEADER,
  type SigningKeys,
  verifyBody,
} from '@sightline/contracts'
import { type RequestIdEnv, renderError } from '@sightline/http'
import type { EventStream } from '@sightline/stream'
import { Hono } from 'hono'
import { readBoundedBody } from '../http/body.ts'
import type { Counters } from '../metrics.ts'
import { SpoolFullError } from '../spool/spooling-stream.ts'
import { appendEdgeBatch } from './append.ts'
import { MAX_EDGE_BATCH_BYTES, readEdgeBatch } from './edge-batch.ts'
import { applyGeoFallback, type GeoLookup } from './geo.ts'
import { nodeMacVerifier } from './node-hmac.ts'
import { dropRawIps } from './raw-ip.ts'
import { ReplayGuard, signedAt } from './replay-guard.ts'
import { type SiteQuota, siteQuotaGate } from './site-quota.ts'

export interface ReceiverDeps {
  stream: EventStream
  topic: string
  signingKeys: SigningKeys
  counters: Counters
  now?: () => number
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void
  /** Geo fallback for events the edge could not place (see geo.ts); without it, hints are just dropped. */
  geo?: GeoLookup
  /** Sites that opted in to keeping raw IPs (privacy.keep_ip); everyone else's are removed here. */
  keepIp?: (siteId: string) => boolean
  /**
   * Key records by site + person (one append per person) instead of by site: set when the
   * stream spreads keys over partitions (Kafka), so one person's events stay ordered.
   */
  keyPerPerson?: boolean
  /** Batch ids seen within the signature window; one per receiver (the default). */
  replays?: ReplayGuard
  /** Told about every batch once it is durable (the live fan-out); must not throw or block. */
  onAccepted?: (batch: EdgeBatch) => void
  /** The per-site events_per_minute quota (ADR 0032); without it nothing is limited here. */
  quota?: SiteQuota
}

const encoder = new TextEncoder()

/**
 * POST /v1/ingest: cap → verify → quota → append → 2xx. The 2xx is the delivery contract: it is sent
 * only after the stream says the batch is durable, so the edge may tell the client "yes".
 * The record value is the signed body as received — no re-serialisation on the hot path
 * (only a batch carrying geo hints or raw IPs is rewritten, see geo.ts and raw-ip.ts).
 */
export function receiverRoutes(deps: ReceiverDeps): Hono<RequestIdEnv> {
  const app = new Hono<RequestIdEnv>()
  const now = deps.now ?? Date.now
  const replays = deps.replays ?? new ReplayGuard()
  const keepIp = deps.keepIp ?? (() => false)
  deps.counters.describe('sightline_bridge_batches_total', 'Edge batches by outcome')
  deps.counters.describe('sightline_bridge_events_total', 'Events appended to the stream')
  const admit = deps.quota ? siteQuotaGate(deps.quota, deps.counters, deps.log) : undefined

  app.post('/v1/ingest', async (c) => {
    const refuse = (code: ErrorCode, message: string, retryAfterS?: number) => {
      deps.counters.inc('sightline_bridge_batches_total', { outcome: code })
      return renderError(c, code, message, retryAfterS === undefined ? {} : { retryAfterS })
    }
    // Before the signature: an unsigned sender must not get to make us hold more than this.
    const declared = Number(c.req.header('content-length') ?? '0')
    if (declared > MAX_EDGE_BATCH_BYTES) return refuse('payload_too_large', 'edge batch is too large')
    const body = await readBoundedBody(c.req.raw, MAX_EDGE_BATCH_BYTES)
    if (!body) return refuse('payload_too_large', 'edge batch is too large')

    const header = c.req.header(SIGNATURE_HEADER)
    const signature = await verifyBody(header, body, deps.signingKeys, now(), undefined, nodeMacVerifier)
    if (!signature.ok) return refuse(signature.code, signature.message)

    let parsed: unknown
    try {
      parsed = JSON.parse(new TextDecoder().decode(body))
    } catch {
      return refuse('invalid_json', 'edge batch is not valid JSON')
    }
    const batch = readEdgeBatch(parsed)
    if (!batch.ok) return refuse(batch.code, batch.message)
    // Canaries are made by the bridges themselves; one from outside would skew the lag
    // every site's key sees (and would be counted nowhere else).
    if (claimsCanary(batch.value))
      return refuse('invalid_request', 'canary batches are made by the bridge only')
    const { batch_id: batchId, site_id: siteId } = batch.value
    const signed = signedAt(header!)
    const verdict = replays.check(batchId, signed)
    if (verdict === 'seen') {
      // An edge retry after a lost answer, or a replay: either way it is already durable.
      deps.counters.inc('sightline_bridge_batches_total', { outcome: 'replayed' })
      return c.json({ ok: true, batch_id: batchId, duplicate: true })
    }
    if (verdict === 'too_old') return refuse('stale_signature', 'signature is older than the replay memory')
    // After the replay check (a retry of a durable batch is not charged twice), before the
    // append: a refused batch is not stored at all, so the client may send it again as it is.
    const admission = admit ? await admit(siteId, batch.value.events.length, now()) : undefined
    if (admission && !admission.ok) {
      return refuse('site_quota_exceeded', admission.message, admission.retryAfterS)
    }

    const scrubbed = !keepIp(siteId) && dropRawIps(batch.value)
    const value =
      applyGeoFallback(batch.value, deps.geo) ??
      (scrubbed ? encoder.encode(JSON.stringify(batch.value)) : body)

    try {
      const { partition, baseOffset } = await appendEdgeBatch(deps, siteId, value)
      replays.remember(batchId, signed, now())
      deps.counters.inc('sightline_bridge_batches_total', { outcome: 'durable' })
      deps.counters.inc('sightline_bridge_events_total', { site: siteId }, batch.value.events.length)
      deps.onAccepted?.(batch.value)
      return c.json({ ok: true, batch_id: batchId, partition, offset: baseOffset })
    } catch (err) {
      // Not durable here: the edge sends the batch to another bridge, which charges it again.
      await admission?.refund()
      if (err instanceof SpoolFullError) {
        deps.counters.inc('sightline_bridge_batches_total', { outcome: 'spool_full' })
        return renderError(c, 'not_durable', err.message, { retryAfterS: err.retryAfterS })
      }
      deps.log?.('error', 'stream append failed', { err: String(err), batch_id: batchId })
      deps.counters.inc('sightline_bridge_batches_total', { outcome: 'not_durable' })
      return renderError(c, 'not_durable', 'the batch could not be made durable; retry', { retryAfterS: 1 })
    }
  })

  return app
}

function claimsCanary(batch: EdgeBatch): boolean {
  return batch.site_id === CANARY_SITE || batch.ingest_path === 'canary' || batch.events.some(isCanary)
}
