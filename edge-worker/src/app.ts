import { installErrorHandling, requestId } from '@sightline/http'
import { Hono } from 'hono'
import type { BridgeHealth } from './bridge-health.ts'
import { type ClientIpOf, clientIpPolicy } from './client-ip.ts'
import { type CoalesceOptions, DEFAULT_COALESCE, ForwardCoalescer } from './coalesce.ts'
import type { Bridge } from './config.ts'
import { cors, originGuard } from './cors.ts'
import { defaultEnricher } from './enrich.ts'
import { forwardBatch } from './forward.ts'
import { ingestOpenApiDocument } from './openapi.ts'
import type { Enricher, Guard, PreAuthGuard } from './pipeline/surface.ts'
import { type AppEnv, DEFAULT_RETRY_AFTER_S } from './respond.ts'
import { registerClientConfigRoutes } from './routes/client-config.ts'
import { registerHealthRoutes } from './routes/health.ts'
import { registerIngestRoutes } from './routes/ingest.ts'
import { registerScriptRoutes } from './routes/script.ts'
import type { SiteDirectory } from './sites.ts'

export interface AppDeps {
  sites: SiteDirectory
  /** Tried in this order. */
  bridges: readonly Bridge[]
  signing: { keyId: string; secret: string }
  /** Epoch milliseconds; injectable so tests can pin received_at. */
  now: () => number
  /** Outbound fetch to bridges; injectable so tests (or a service binding) can take it. */
  fetch: typeof fetch
  /** Per bridge attempt. Default 3 s: long enough for an fsync'd spool, short enough to fail over. */
  attemptTimeoutMs?: number
  retryAfterSeconds?: number
  newId?: () => string
  /** Enrichment step (geo, device, bot, privacy); default trusts request.cf (Cloudflare). */
  enrich?: Enricher
  /** Checks once the site is known (before the body is read when the key is in a header): rate limits. */
  guards?: readonly Guard[]
  /** Checks before the body is read when the key is only in the body: the per-IP brake. */
  preAuthGuards?: readonly PreAuthGuard[]
  /** The visitor's IP (client-ip.ts); default `auto`: CF-Connecting-IP only with a real request.cf. */
  clientIp?: ClientIpOf
  /** Regional routing with per-isolate bridge health; without it, plain priority order. */
  health?: BridgeHealth
  /** How concurrent requests share bridge batches (coalesce.ts). */
  coalesce?: Partial<Omit<CoalesceOptions, 'newId'>>
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  // cf-ray ties our logs to Cloudflare's; elsewhere (wrangler dev, workerd) a UUID is minted.
  app.use(requestId({ trust: ['cf-ray'] }))
  app.use(cors())
  registerScriptRoutes(app)
  registerClientConfigRoutes(app, deps.sites)
  const openapi = ingestOpenApiDocument()
  app.get('/v1/openapi.json', (c) => c.json(openapi))
  registerHealthRoutes(app, {
    bridges: deps.bridges,
    now: deps.now,
    ...(deps.health ? { health: deps.health } : {}),
  })

  const forwardDeps = {
    bridges: deps.bridges,
    signing: deps.signing,
    now: deps.now,
    fetch: deps.fetch,
    attemptTimeoutMs: deps.attemptTimeoutMs ?? 3_000,
    ...(deps.health ? { health: deps.health } : {}),
  }
  const newId = deps.newId ?? (() => crypto.randomUUID())
  registerIngestRoutes(app, {
    ...forwardDeps,
    sites: deps.sites,
    retryAfterSeconds: deps.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_S,
    newId,
    // One per app, and so per isolate: the requests it serves at once share batches.
    coalescer: new ForwardCoalescer(
      (batch, requestId, place) => forwardBatch(batch, forwardDeps, requestId, place),
      { ...DEFAULT_COALESCE, ...deps.coalesce, newId },
    ),
    enrich:
      deps.enrich ??
      defaultEnricher(
        deps.signing.secret,
        deps.clientIp ?? clientIpPolicy({ source: 'auto', trustCfGeo: true }),
      ),
    // The site's allowed origins first: a refused origin should not spend its rate budget.
    guards: [originGuard, ...(deps.guards ?? [])],
    preAuthGuards: deps.preAuthGuards ?? [],
  })

  installErrorHandling(app, {
    // Only our own bugs land here; bad input is answered with a 4xx by the routes.
    onBug: (err, id) =>
      console.error(JSON.stringify({ msg: 'unhandled error', request_id: id, error: String(err) })),
  })
  return app
}
