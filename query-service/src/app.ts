import { installErrorHandling, type RequestIdEnv, requestId } from '@sightline/http'
import type { Warehouse } from '@sightline/warehouse'
import { Hono } from 'hono'
import { type Logger, pino } from 'pino'
import { requireReadKey } from './http/auth.ts'
import { openApiDocument } from './openapi.ts'
import type { Clock, ReadKeyResolver } from './ports.ts'
import type { RouteDeps } from './routes/deps.ts'
import { rejectedRoute } from './routes/rejected.ts'
import { statsRoute } from './routes/stats.ts'
import { trendsRoute } from './routes/trends.ts'

export interface AppDeps {
  warehouse: Warehouse
  keys: ReadKeyResolver
  clock: Clock
  logger?: Logger
}

/**
 * The query service as a Hono app. Knows routes and ports only: the composition root
 * (main.ts, or the embedded launcher) decides which adapters stand behind them.
 */
export function createApp(deps: AppDeps) {
  const logger = deps.logger ?? pino({ level: 'silent' })
  const routeDeps: RouteDeps = { warehouse: deps.warehouse, clock: deps.clock, logger }
  const app = new Hono<RequestIdEnv>()

  // Echoes a well-formed X-Request-Id from a proxy, otherwise mints one; errors quote it.
  app.use(requestId())
  app.use(async (c, next) => {
    const started = performance.now()
    await next()
    // Path only: query strings can carry event names users consider private.
    logger.info(
      {
        request_id: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: performance.now() - started,
      },
      'request',
    )
  })
  installErrorHandling(app, {
    // Anything but an HttpError is a bug: logged in full, never leaked to the caller.
    onBug: (err, id) => logger.error({ err, request_id: id }, 'unhandled error'),
  })

  // Liveness only: a warehouse outage is reported per query (503), so an orchestrator does
  // not restart a healthy process because ClickHouse is away.
  app.get('/healthz', (c) => c.json({ ok: true }))
  // Public: the document describes the API, it holds no data.
  const openapi = openApiDocument()
  app.get('/v1/openapi.json', (c) => c.json(openapi))

  app.use('/v1/sites/:site/*', requireReadKey(deps.keys))
  app.get('/v1/sites/:site/stats', statsRoute(routeDeps))
  app.get('/v1/sites/:site/trends', trendsRoute(routeDeps))
  app.get('/v1/sites/:site/rejected', rejectedRoute(routeDeps))
  return app
}

export type App = ReturnType<typeof createApp>
