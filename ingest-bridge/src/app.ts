import { errorResponse } from '@sightline/contracts'
import { Hono } from 'hono'
import type { Counters } from './metrics.ts'
import { type ReceiverDeps, receiverRoutes } from './receiver/app.ts'

export interface BridgeAppDeps extends ReceiverDeps {
  counters: Counters
  /** Readiness: false while the bridge cannot make batches durable (e.g. shutting down). */
  ready?: () => boolean
}

/** The bridge's HTTP face: ingest, health, metrics. One factory, adapters come in as deps. */
export function createApp(deps: BridgeAppDeps): Hono {
  const app = new Hono()
  app.get('/healthz', (c) => {
    const ready = deps.ready?.() ?? true
    return c.json({ ok: ready }, ready ? 200 : 503)
  })
  app.get('/metrics', (c) =>
    c.text(deps.counters.render(), 200, { 'content-type': 'text/plain; version=0.0.4' }),
  )
  app.route('/', receiverRoutes(deps))
  app.notFound((c) =>
    errorResponse('not_found', `no route for ${c.req.method} ${c.req.path}`, crypto.randomUUID()),
  )
  app.onError((err, c) => {
    deps.log?.('error', 'unhandled bridge error', { err: String(err), path: c.req.path })
    return errorResponse('internal', 'internal error', crypto.randomUUID())
  })
  return app
}
