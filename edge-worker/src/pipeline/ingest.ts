import {
  type EdgeBatch,
  type EdgeRejection,
  ERROR_STATUS,
  type ErrorCode,
  isErrorCode,
  type Rejection,
} from '@sightline/contracts'
import type { Context } from 'hono'
import { extractWriteKey, isPlausibleWriteKey } from '../auth.ts'
import { requestPlace } from '../bridge-health.ts'
import type { ForwardCoalescer } from '../coalesce.ts'
import { refusalsAsRejections } from '../enrich/refusals.ts'
import { type BridgeRefusal, type ForwardDeps, forwardBatch } from '../forward.ts'
import { type AppEnv, fail } from '../respond.ts'
import { isRevoked, type Site, type SiteDirectory } from '../sites.ts'
import type { DecodedRequest, Enricher, Guard, PreAuthGuard, Surface } from './surface.ts'

export interface IngestDeps extends ForwardDeps {
  sites: SiteDirectory
  newId: () => string
  retryAfterSeconds: number
  enrich: Enricher
  guards: readonly Guard[]
  preAuthGuards: readonly PreAuthGuard[]
  /** Shares bridge batches between concurrent requests (coalesce.ts). */
  coalescer: ForwardCoalescer
}

const MAX_RAW_REJECTED = 8 * 1024
const REVOKED_MESSAGE = "the write key was revoked; use the site's current write key"

/**
 * Write key → site, or the refusal to send. A directory that cannot answer (KV down with
 * nothing cached) is our outage, not the client's mistake: a retryable 503, never a 500 and
 * never "unknown key".
 */
async function authorize(c: Context<AppEnv>, deps: IngestDeps, writeKey: string): Promise<Site | Response> {
  // A key no site can have is the client's mistake, whatever the directory would say.
  if (!isPlausibleWriteKey(writeKey)) return fail(c, 'unknown_write_key', 'the write key is not known')
  let site: Site | undefined
  try {
    site = await deps.sites.byWriteKey(writeKey)
  } catch (err) {
    console.warn(JSON.stringify({ msg: 'site directory unavailable', error: String(err) }))
    return fail(
      c,
      'site_config_unavailable',
      'site configuration is unavailable; retry later',
      {},
      deps.retryAfterSeconds,
    )
  }
  if (!site) return fail(c, 'unknown_write_key', 'the write key is not known')
  if (isRevoked(site, writeKey)) return fail(c, 'revoked_write_key', REVOKED_MESSAGE)
  return site
}

/** The shared ingestion path every surface goes through. */
export function ingestHandler(surface: Surface, deps: IngestDeps) {
  const runGuards = async (c: Context<AppEnv>, site: Site, writeKey: string) => {
    for (const guard of deps.guards) {
      const refusal = await guard(c, site, writeKey)
      if (refusal) return refusal
    }
    return undefined
  }
  return async (c: Context<AppEnv>): Promise<Response> => {
    // A key in a header is checked, and its limits applied, before the body is read:
    // refusing then costs us nothing.
    const headerKey = extractWriteKey(c.req.raw.headers)
    if (headerKey !== undefined) {
      const site = await authorize(c, deps, headerKey)
      if (site instanceof Response) return site
      const refusal = await runGuards(c, site, headerKey)
      if (refusal) return refusal
      const decoded = await surface.decode(c.req.raw)
      if (!decoded.ok) return fail(c, decoded.code, decoded.message)
      return ingestDecoded(c, surface, deps, site, decoded.value)
    }
    // The key is in the body (or query string): what needs no site (the per-IP brake)
    // still runs before the body is read and inflated.
    for (const guard of deps.preAuthGuards) {
      const refusal = await guard(c)
      if (refusal) return refusal
    }
    const decoded = await surface.decode(c.req.raw)
    if (!decoded.ok) return fail(c, decoded.code, decoded.message)
    const writeKey = decoded.value.writeKey
    if (!writeKey) {
      return fail(
        c,
        'missing_write_key',
        'send the write key as Basic auth user, Bearer token or X-Write-Key',
      )
    }
    const site = await authorize(c, deps, writeKey)
    if (site instanceof Response) return site
    const refusal = await runGuards(c, site, writeKey)
    if (refusal) return refusal
    return ingestDecoded(c, surface, deps, site, decoded.value)
  }
}

async function ingestDecoded(
  c: Context<AppEnv>,
  surface: Surface,
  deps: IngestDeps,
  site: Site,
  decoded: DecodedRequest,
): Promise<Response> {
  const active = decoded.as ?? surface
  const now = deps.now()
  const receivedAt = new Date(now).toISOString()
  const result = active.read(decoded.body, { siteId: site.siteId, receivedAt, ingestPath: active.ingestPath })
  if (!result.ok) return fail(c, result.code, result.message)
  const { accepted, rejected } = result.value
  const requestId = c.get('requestId')
  // Enrichment may refuse events too (a site blocking bots): reported and stored like invalid ones.
  const enriched =
    accepted.length === 0
      ? { events: [], rejected: [] }
      : refusalsAsRejections(await deps.enrich(accepted, { request: c.req.raw, site, now }), rejected)
  rejected.push(...enriched.rejected)
  const batch: EdgeBatch = {
    v: 1,
    batch_id: deps.newId(),
    site_id: site.siteId,
    received_at: receivedAt,
    ingest_path: active.ingestPath,
    events: enriched.events,
    rejected: rejected.map((r) => withRaw(r, decoded.body)),
  }
  if (batch.events.length === 0) {
    // Nothing to make durable, but the refusals still reach the rejected table.
    reportInBackground(c, batch, deps, requestId)
    if (active.refusalsAreSuccess && active.respond) {
      return active.respond(c, { accepted: 0, rejected, requestId })
    }
    const refusal = enriched.rejected[0]
    return refusal
      ? fail(c, refusal.code, `all ${rejected.length} events were refused`, { rejected })
      : fail(c, 'invalid_event', `all ${rejected.length} events were rejected`, { rejected })
  }
  const shared = deps.coalescer.submit(batch, requestId, requestPlace(c.req.raw))
  // The batch may be sent by this request for others too: it must finish even if this client
  // goes away first.
  keepAlive(c, shared)
  const forwarded = await shared
  if (!forwarded.ok && forwarded.refusal) return passRefusal(c, forwarded.refusal, deps.retryAfterSeconds)
  if (!forwarded.ok) {
    console.warn(
      JSON.stringify({
        msg: 'no bridge accepted batch',
        request_id: requestId,
        batch_id: forwarded.batchId,
        attempts: forwarded.attempts,
      }),
    )
    return fail(
      c,
      'no_bridge_available',
      'no ingest bridge accepted the batch; retry later',
      {},
      deps.retryAfterSeconds,
    )
  }
  const outcome = { accepted: batch.events.length, rejected, requestId }
  if (active.respond) return active.respond(c, outcome)
  return c.json({ ok: true, accepted: outcome.accepted, rejected, request_id: requestId })
}

/**
 * A bridge's 429 (the site's quota, ADR 0032) as this client's answer: the bridge's code,
 * message and Retry-After, under this request's own id — a coalesced batch went out under
 * another member's, and the body's request_id must match the header. An unreadable body
 * still gets a 429 with the contract's shape.
 */
function passRefusal(c: Context<AppEnv>, refusal: BridgeRefusal, defaultRetryAfter: number): Response {
  let code: ErrorCode = 'rate_limited'
  let message = 'the ingest bridge refused the batch for now; retry after Retry-After'
  try {
    const error = (JSON.parse(refusal.body) as { error?: { code?: unknown; message?: unknown } }).error
    if (isErrorCode(error?.code) && ERROR_STATUS[error.code] === refusal.status) code = error.code
    if (typeof error?.message === 'string' && error.message !== '') message = error.message.slice(0, 500)
  } catch {
    // Not JSON: the defaults above.
  }
  const retryAfter = Number(refusal.retryAfter)
  return fail(c, code, message, {}, retryAfter >= 1 ? retryAfter : defaultRetryAfter)
}

/** Keeps the refused event's own bytes (truncated) next to the reason. */
function withRaw(rejection: Rejection, body: unknown): EdgeRejection {
  const list = Array.isArray(body) ? body : (body as { batch?: unknown })?.batch
  const item = Array.isArray(list) ? list[rejection.index] : body
  let raw: string | undefined
  try {
    raw = JSON.stringify(item)?.slice(0, MAX_RAW_REJECTED)
  } catch {
    raw = undefined
  }
  // Compatibility dialects name the id differently (Segment's messageId, PostHog's uuid).
  const ids = item as { message_id?: unknown; messageId?: unknown; uuid?: unknown } | undefined
  const messageId = ids?.message_id ?? ids?.messageId ?? ids?.uuid
  return {
    ...rejection,
    ...(typeof messageId === 'string' ? { message_id: messageId.slice(0, 200) } : {}),
    ...(raw ? { raw } : {}),
  }
}

function reportInBackground(c: Context<AppEnv>, batch: EdgeBatch, deps: IngestDeps, requestId: string): void {
  keepAlive(c, forwardBatch(batch, deps, requestId))
}

function keepAlive(c: Context<AppEnv>, task: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(task.catch(() => undefined))
  } catch {
    // No execution context (app.request in tests): the promise still runs on its own.
  }
}
