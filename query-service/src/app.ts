import { installErrorHandling, type RequestIdEnv, renderError, requestId } from '@sightline/http'
import { bearerMatches } from '@sightline/http/bearer'
import { type Cache, memoryCache } from '@sightline/state'
import type { Warehouse } from '@sightline/warehouse'
import { type Context, Hono } from 'hono'
import { type Logger, pino } from 'pino'
import { z } from 'zod'
import { type ClientAddress, requireReadKey, socketAddress } from './http/auth.ts'
import { type AuthThrottleOptions, authThrottle } from './http/auth-throttle.ts'
import { mountDashboard } from './http/dashboard-route.ts'
import { mountIngestRoute } from './http/ingest-route.ts'
import { mountInsights } from './http/insight-routes.ts'
import { type KeyConcurrencyOptions, KeyInFlight, keyConcurrency } from './http/key-concurrency.ts'
import { mountKeySites } from './http/key-sites.ts'
import { mountPersonRoute } from './http/person-route.ts'
import { type QueryMetrics, queryMetrics } from './http/request-metrics.ts'
import { resultCache } from './http/result-cache.ts'
import { mountSql } from './http/sql-route.ts'
import type { AnyInsight } from './insights/define.ts'
import { INSIGHTS } from './insights/registry.ts'
import { openApiDocument } from './openapi.ts'
import type { Clock, DashboardAssets, ReadKeyResolver, SiteTimeZone, Watermark } from './ports.ts'

/** /readyz's probe: the smallest read the warehouse's read lane can answer. */
const READY_PROBE = { name: 'readyz', sql: 'SELECT 1 AS ok', row: z.object({ ok: z.coerce.number() }) }

export interface AppDeps {
  warehouse: Warehouse
  keys: ReadKeyResolver
  clock: Clock
  /**
   * Sites' time zones for GET /v1/sites (the dashboard counts days in them) and for the days
   * of named ranges (`range: "today"`) in kinds without `tz`.
   */
  siteTimeZone?: SiteTimeZone
  logger?: Logger
  /** Failed read-key budget per client address; defaults to DEFAULT_AUTH_THROTTLE. */
  authThrottle?: AuthThrottleOptions
  /** Whose budget a request spends; the socket peer by default. */
  clientAddress?: ClientAddress
  /** The insight kinds served; the registry's INSIGHTS by default. */
  insights?: readonly AnyInsight[]
  /** The dashboard's built files (adapters/dashboard-dir.ts); without them its paths say so. */
  dashboard?: DashboardAssets
  /**
   * What moves when data commits (insertWatermark() fed by the writer's inserts). Without it
   * the result cache is off: a cache that cannot tell new data from old would serve stale
   * answers.
   */
  watermark?: Watermark
  /** Where answers are cached; an in-memory cache by default (when there is a watermark). */
  cache?: Cache
  /** How long an answer may be kept (memory only; the watermark decides freshness). */
  cacheTtlMs?: number
  /**
   * Requests in flight per read key; DEFAULT_KEY_CONCURRENCY by default. Pass a KeyInFlight
   * to share the budget with the live `query` channel (the hub does).
   */
  keyConcurrency?: KeyConcurrencyOptions | KeyInFlight
  /**
   * Bearer token for GET /metrics (Prometheus text). Without one /metrics does not exist:
   * the process's numbers are nobody's business but the operator's.
   */
  metricsToken?: string
  /** Where requests are counted; a fresh registry by default (the hub adds its own gauges). */
  metrics?: QueryMetrics
}

/** Sixteen queries in flight per read key; the seventeenth is told to retry in a second. */
export const DEFAULT_KEY_CONCURRENCY: KeyConcurrencyOptions = { maxInFlight: 16, retryAfterS: 1 }
/** Ten minutes: a dashboard reopened within that time, with no new data, answers from memory. */
export const DEFAULT_CACHE_TTL_MS = 10 * 60 * 1000

/** 20 wrong or missing keys in a burst, then one more every 3 s. */
export const DEFAULT_AUTH_THROTTLE: AuthThrottleOptions = { burst: 20, refillS: 3 }

/**
 * The query service as a Hono app. Knows routes and ports only: the composition root
 * (main.ts, or the embedded launcher) decides which adapters stand behind them.
 */
export function createApp(deps: AppDeps) {
  const logger = deps.logger ?? pino({ level: 'silent' })
  const app = new Hono<RequestIdEnv>()

  // Echoes a well-formed X-Request-Id from a proxy, otherwise mints one; errors quote it.
  app.use(requestId())
  const metrics = deps.metrics ?? queryMetrics()
  app.use(metrics.middleware)
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
  // Readiness: the warehouse answers a trivial query now (an orchestrator stops routing
  // queries here while it does not, without restarting the process).
  app.get('/readyz', async (c) => {
    try {
      await deps.warehouse.query(READY_PROBE)
      return c.json({ ok: true, warehouse: 'ok' })
    } catch {
      return c.json({ ok: false, warehouse: 'unavailable' }, 503)
    }
  })
  app.get('/metrics', async (c) => {
    // The same answer as for a path that does not exist: nothing tells a prober it is here.
    if (!deps.metricsToken || !bearerMatches(c.req.header('authorization'), deps.metricsToken))
      return renderError(c, 'not_found', `No route for ${c.req.method} ${c.req.path}.`)
    return c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType })
  })
  // Public: the document describes the API, it holds no data.
  const insights = deps.insights ?? INSIGHTS
  const openapi = openApiDocument(insights)
  app.get('/v1/openapi.json', (c) => c.json(openapi))

  mountDashboard(
    app,
    deps.dashboard ?? { missing: 'This query service was started without a dashboard build.' },
  )

  const throttle = authThrottle(deps.authThrottle ?? DEFAULT_AUTH_THROTTLE)
  const clientAddress = deps.clientAddress ?? socketAddress
  mountKeySites(app, {
    keys: deps.keys,
    throttle,
    clientAddress,
    ...(deps.siteTimeZone ? { siteTimeZone: deps.siteTimeZone } : {}),
  })
  app.use('/v1/sites/:site/*', requireReadKey(deps.keys, throttle, clientAddress))
  const inFlight =
    deps.keyConcurrency instanceof KeyInFlight
      ? deps.keyConcurrency
      : new KeyInFlight(deps.keyConcurrency ?? DEFAULT_KEY_CONCURRENCY)
  app.use('/v1/sites/:site/*', keyConcurrency(inFlight))
  const runContext = (c: Context<RequestIdEnv>) => ({
    warehouse: deps.warehouse,
    logger,
    requestId: c.get('requestId'),
    signal: c.req.raw.signal,
  })
  const cache =
    deps.watermark === undefined
      ? undefined
      : resultCache({
          cache: deps.cache ?? memoryCache({ maxEntries: 2_000 }),
          watermark: deps.watermark,
          ttlMs: deps.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS,
        })
  mountInsights(app, {
    insights,
    clock: deps.clock,
    runContext,
    ...(deps.siteTimeZone ? { siteTimeZone: deps.siteTimeZone } : {}),
    ...(cache ? { cache } : {}),
  })
  mountSql(app, { runContext })
  mountPersonRoute(app, { runContext })
  mountIngestRoute(app, { runContext, clock: deps.clock })
  return app
}

export type App = ReturnType<typeof createApp>
