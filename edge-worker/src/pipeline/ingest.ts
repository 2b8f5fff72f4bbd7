import type { EdgeBatch, EdgeRejection, Rejection } from '@sightline/contracts'
import type { Context } from 'hono'
import { extractWriteKey } from '../auth.ts'
import { type ForwardDeps, forwardBatch } from '../forward.ts'
import { type AppEnv, fail } from '../respond.ts'
import type { Site, SiteDirectory } from '../sites.ts'
import type { DecodedRequest, Enricher, Guard, Surface } from './surface.ts'

export interface IngestDeps extends ForwardDeps {
  sites: SiteDirectory
  newId: () => string
  retryAfterSeconds: number
  enrich: Enricher
  guards: readonly Guard[]
}

const MAX_RAW_REJECTED = 8 * 1024

/** The shared ingestion path every surface goes through. */
export function ingestHandler(surface: Surface, deps: IngestDeps) {
  return async (c: Context<AppEnv>): Promise<Response> => {
    // A key in a header is checked before the body is read: refusing costs us nothing.
    const headerKey = extractWriteKey(c.req.raw.headers)
    if (headerKey !== undefined && !(await deps.sites.byWriteKey(headerKey))) {
      return fail(c, 'unknown_write_key', 'the write key is not known')
    }
    const decoded = await surface.decode(c.req.raw)
    if (!decoded.ok) return fail(c, decoded.code, decoded.message)
    const writeKey = headerKey ?? decoded.value.writeKey
    if (!writeKey) {
      return fail(
        c,
        'missing_write_key',
        'send the write key as Basic auth user, Bearer token or X-Write-Key',
      )
    }
    const site = await deps.sites.byWriteKey(writeKey)
    if (!site) return fail(c, 'unknown_write_key', 'the write key is not known')
    for (const guard of deps.guards) {
      const refusal = await guard(c, site, writeKey)
      if (refusal) return refusal
    }
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
  const siteId = site.siteId
  const now = deps.now()
  const receivedAt = new Date(now).toISOString()
  const result = surface.read(decoded.body, { siteId, receivedAt, ingestPath: surface.ingestPath })
  if (!result.ok) return fail(c, result.code, result.message)
  const { accepted, rejected } = result.value
  const requestId = c.get('requestId')
  const batch: EdgeBatch = {
    v: 1,
    batch_id: deps.newId(),
    site_id: siteId,
    received_at: receivedAt,
    ingest_path: surface.ingestPath,
    events: [],
    rejected: rejected.map((r) => withRaw(r, decoded.body)),
  }
  if (accepted.length === 0) {
    // Nothing to make durable, but the refusals still reach the rejected table.
    reportInBackground(c, batch, deps, requestId)
    return fail(c, 'invalid_event', `all ${rejected.length} events were rejected`, { rejected })
  }
  batch.events = await deps.enrich(accepted, { request: c.req.raw, site, now })
  const forwarded = await forwardBatch(batch, deps, requestId)
  if (!forwarded.ok) {
    console.warn(
      JSON.stringify({
        msg: 'no bridge accepted batch',
        request_id: requestId,
        batch_id: batch.batch_id,
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
  if (surface.respond) return surface.respond(c, outcome)
  return c.json({ ok: true, accepted: outcome.accepted, rejected, request_id: requestId })
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
  const messageId = (item as { message_id?: unknown } | undefined)?.message_id
  return {
    ...rejection,
    ...(typeof messageId === 'string' ? { message_id: messageId.slice(0, 200) } : {}),
    ...(raw ? { raw } : {}),
  }
}

function reportInBackground(c: Context<AppEnv>, batch: EdgeBatch, deps: IngestDeps, requestId: string): void {
  const task = forwardBatch(batch, deps, requestId).catch(() => undefined)
  try {
    c.executionCtx.waitUntil(task)
  } catch {
    // No execution context (app.request in tests): the promise still runs on its own.
  }
}
