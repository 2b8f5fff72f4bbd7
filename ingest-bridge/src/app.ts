import { installErrorHandling, type RequestIdEnv, requestId } from '@sightline/http'
import { Hono } from 'hono'
import type { Counters } from './metrics.ts'
import { type ReceiverDeps, receiverRoutes } from './receiver/app.ts'

export interface BridgeAppDeps extends ReceiverDeps {
  counters: Counters
  /** Readiness: false while the bridge cannot make batches durable (e.g. shutting down). */
  ready?: () => boolean
}

/** The bridge's HTTP face: ingest, health, metrics. One factory, adapters come in as deps. */
export function createApp(deps: BridgeAppDeps): Hono<RequestIdEnv> {
  const app = new Hono<RequestIdEnv>()
  // The edge sends its request id along, so one id follows a batch from client to stream.
  app.use(requestId())
  app.get('/healthz', (c) => {
    const ready = deps.ready?.() ?? true
    return c.json({ ok: ready }, ready ? 200 : 503)
  })
  app.get('/metrics', (c) =>
    c.text(deps.counters.render(), 200, { 'content-type': 'text/plain; version=0.0.4' }),
  )
  app.route('/', receiverRoutes(deps))
  installErrorHandling(app, {
    onBug: (err, id) => deps.log?.('error', 'unhandled bridge error', { err: String(err), request_id: id }),
  })
  return app
}
