import type { EdgeBatch, EnrichedEvent } from '@sightline/contracts'
import { parseJsonBody } from '@sightline/contracts'
import type { Context, Hono } from 'hono'
import { extractWriteKey } from '../auth.ts'
import { readBody } from '../body.ts'
import { edgeFields } from '../edge-info.ts'
import { type ForwardDeps, forwardBatch } from '../forward.ts'
import { type EventReader, readNativeBatch, readSingleEvent } from '../ingest.ts'
import { type AppEnv, fail } from '../respond.ts'
import type { SiteDirectory } from '../sites.ts'

export interface IngestDeps extends ForwardDeps {
  sites: SiteDirectory
  newId: () => string
  retryAfterSeconds: number
}

/** Native JSON ingestion: POST /v1/batch and POST /v1/track. */
export function registerIngestRoutes(app: Hono<AppEnv>, deps: IngestDeps): void {
  app.post('/v1/batch', (c) => ingest(c, deps, readNativeBatch))
  app.post('/v1/track', (c) => ingest(c, deps, readSingleEvent))
  for (const path of ['/v1/batch', '/v1/track']) {
    app.all(path, (c) => {
      c.header('allow', 'POST')
      return fail(c, 'method_not_allowed', `${c.req.method} is not allowed here; use POST`)
    })
  }
}

async function ingest(c: Context<AppEnv>, deps: IngestDeps, read: EventReader): Promise<Response> {
  // Authenticate before touching the body: unauthenticated uploads cost us nothing to refuse.
  const writeKey = extractWriteKey(c.req.raw.headers)
  if (!writeKey)
    return fail(c, 'missing_write_key', 'send the write key as Basic auth user, Bearer token or X-Write-Key')
  const site = await deps.sites.byWriteKey(writeKey)
  if (!site) return fail(c, 'unknown_write_key', 'the write key is not known')

  const bytes = await readBody(c.req.raw)
  if (!bytes.ok) return fail(c, bytes.code, bytes.message)
  const json = parseJsonBody(bytes.value)
  if (!json.ok) return fail(c, json.code, json.message)

  const receivedAt = new Date(deps.now()).toISOString()
  const result = read(json.value, { siteId: site.siteId, receivedAt, ingestPath: 'native' })
  if (!result.ok) return fail(c, result.code, result.message)
  const { accepted, rejected } = result.value
  if (accepted.length === 0) {
    return fail(c, 'invalid_event', `all ${rejected.length} events were rejected`, { rejected })
  }

  const edge = edgeFields(c.req.raw.cf as Record<string, unknown> | undefined)
  const events: EnrichedEvent[] = accepted.map((event) => ({ ...event, ...edge }))
  const batch: EdgeBatch = {
    v: 1,
    batch_id: deps.newId(),
    site_id: site.siteId,
    received_at: receivedAt,
    events,
  }
  const requestId = c.get('requestId')
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
  return c.json({ ok: true, accepted: events.length, rejected, request_id: requestId })
}
