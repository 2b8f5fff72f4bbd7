import type { MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/**
 * The query service's Prometheus metrics: requests and their latency per route, requests in
 * flight, and the process's own (event-loop lag above all: one slow query holding the loop
 * shows there first). Labels are route *patterns* (`/v1/sites/:site/stats`), never paths, so
 * neither site ids nor event names reach a label and the series count stays bounded.
 */
export interface QueryMetrics {
  readonly registry: Registry
  /** Counts and times every request; install before the routes. */
  readonly middleware: MiddlewareHandler
  /** A gauge read when /metrics is scraped (e.g. the hub's live connections). */
  gauge(name: string, help: string, read: () => number): void
}

export interface QueryMetricsOptions {
  /** Node process metrics (CPU, memory, event-loop lag, GC). Once per process: off in tests that build many apps. */
  processMetrics?: boolean
}

/** Seconds; from a cached answer (~1 ms) to the default read timeout (30 s). */
const LATENCY_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

export function queryMetrics(options: QueryMetricsOptions = {}): QueryMetrics {
  const registry = new Registry()
  if (options.processMetrics) collectDefaultMetrics({ register: registry })
  const requests = new Counter({
    name: 'sightline_query_http_requests_total',
    help: 'Query API requests answered, by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'sightline_query_http_request_duration_seconds',
    help: 'Time from request to response headers, by route pattern',
    labelNames: ['route'] as const,
    buckets: LATENCY_BUCKETS_S,
    registers: [registry],
  })
  const inFlight = new Gauge({
    name: 'sightline_query_http_requests_in_flight',
    help: 'Query API requests being answered now',
    registers: [registry],
  })
  const middleware: MiddlewareHandler = async (c, next) => {
    const started = performance.now()
    inFlight.inc()
    try {
      await next()
    } finally {
      inFlight.dec()
      // The last matched route is the handler's pattern, also when a middleware before it
      // (auth, concurrency) answered; a request no route matches has only wildcards.
      const route = routePath(c, -1) || 'unmatched'
      requests.inc({ route, method: c.req.method, status: String(c.res.status) })
      latency.observe({ route }, (performance.now() - started) / 1000)
    }
  }
  const gauge = (name: string, help: string, read: () => number) => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read())
      },
    })
  }
  return { registry, middleware, gauge }
}
