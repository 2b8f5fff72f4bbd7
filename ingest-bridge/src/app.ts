import { installErrorHandling, type RequestIdEnv, renderError, requestId } from '@sightline/http'
import { bearerMatches } from '@sightline/http/bearer'
import { Hono } from 'hono'
import type { Counters } from './metrics.ts'
import { type ReceiverDeps, receiverRoutes } from './receiver/app.ts'
import type { SpoolStatus } from './spool/spooling-stream.ts'

/** What /readyz reports: each role this process runs, and whether it can do its job now. */
export interface Readiness {
  ready: boolean
  roles: Record<string, { ready: boolean; lag?: number; spool?: SpoolStatus }>
}

export interface BridgeAppDeps extends ReceiverDeps {
  counters: Counters
  /** Readiness (compose.ts builds it from the writer's state and the stream's lag). */
  readiness?: () => Promise<Readiness>
  /** Liveness: false once the process is stopping. */
  live?: () => boolean
  /** The Kafka spool's state, when there is one: /healthz says when the bridge is spooling. */
  spool?: () => Promise<SpoolStatus>
  /**
   * Bearer token for /metrics: its labels name every site. Without one, /metrics does not
   * exist (404), so a default install never publishes them.
   */
  metricsToken?: string
}

/** The bridge's HTTP face: ingest, health, readiness, metrics. One factory, adapters come in as deps. */
export function createApp(deps: BridgeAppDeps): Hono<RequestIdEnv> {
  const app = new Hono<RequestIdEnv>()
  // The edge sends its request id along, so one id follows a batch from client to stream.
  app.use(requestId())
  app.get('/healthz', async (c) => {
    const live = deps.live?.() ?? true
    // Spooling is alive (every batch is still made durable, on local disk), and says so.
    const spool = await deps.spool?.().catch(() => undefined)
    return c.json(
      { ok: live, ...(spool ? { stream: spool.mode === 'direct' ? 'kafka' : 'spooling', spool } : {}) },
      live ? 200 : 503,
    )
  })
  app.get('/readyz', async (c) => {
    const readiness = (await deps.readiness?.()) ?? { ready: deps.live?.() ?? true, roles: {} }
    return c.json({ ok: readiness.ready, roles: readiness.roles }, readiness.ready ? 200 : 503)
  })
  app.get('/metrics', async (c) => {
    // The same answer as for a path that does not exist: nothing tells a prober it is here.
    if (!deps.metricsToken || !bearerMatches(c.req.header('authorization'), deps.metricsToken))
      return renderError(c, 'not_found', `No route for ${c.req.method} ${c.req.path}.`)
    return c.text(await deps.counters.render(), 200, { 'content-type': deps.counters.contentType })
  })
  app.route('/', receiverRoutes(deps))
  installErrorHandling(app, {
    onBug: (err, id) => deps.log?.('error', 'unhandled bridge error', { err: String(err), request_id: id }),
  })
  return app
}
