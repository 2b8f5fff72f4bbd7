// The embedded hub: bridge (receiver + writer) and query service in ONE Node process,
// because chdb allows one ClickHouse engine per data path per process.
// Started by start.ts; prints one JSON line {"ready":...} on stdout when it serves.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { composePipeline, dbipCityPaths, type PipelineConfig, withBodyLimit } from '@sightline/ingest-bridge'
import { openSiteCatalog } from '@sightline/metadata/sql'
import {
  attachLive,
  createApp as createQueryApp,
  DEFAULT_KEY_CONCURRENCY,
  insertWatermark,
  KeyInFlight,
  loadDashboardDir,
  queryMetrics,
} from '@sightline/query-service'
import { memoryPubSub } from '@sightline/state'
import pino from 'pino'
import { z } from 'zod'
import { startAdminListener } from './admin-listener.ts'
import { syncEndpointsSites } from './endpoints-sync.ts'
import { openInstallStore } from './metadata.ts'
import { dataLayout, loadOrCreateState } from './workspace.ts'

const HubConfigSchema = z.object({
  dataDir: z.string().min(1),
  host: z.string().default('127.0.0.1'),
  bridgePort: z.coerce.number().int().min(0).max(65535),
  queryPort: z.coerce.number().int().min(0).max(65535),
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('sightline'),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** MaxMind-format city databases for the bridge's geo fallback; default DB-IP Lite, [] = off. */
  geoDatabases: z.array(z.string().min(1)).optional(),
  /** The admin API's port on 127.0.0.1 (0: any free one; admin.json says which). */
  adminPort: z.coerce.number().int().min(0).max(65535).default(0),
  /** A PostgreSQL server for the metadata (postgres://…); default PGlite under the data dir. */
  metadataUrl: z.string().min(1).optional(),
  /** How often the catalog checks the store's change counter (changes by other processes). */
  metadataPollMs: z.coerce.number().int().min(50).default(1000),
  /**
   * Cluster mode (cluster.ts): the hub is the writer host — writer on Kafka with Redis dedup,
   * query service, admin API — and the receivers run as separate bridge processes.
   */
  cluster: z
    .object({
      brokers: z.array(z.string().min(1)).min(1),
      redisUrl: z.string().min(1),
      redisPrefix: z.string().min(1),
    })
    .optional(),
  /** Milliseconds between the embedded bridge's canaries (ADR 0028); 0 = none. */
  canaryIntervalMs: z.coerce.number().int().min(0).optional(),
  /** The built dashboard (start.ts builds it); without one the query service says so at /dashboard/. */
  dashboardDir: z.string().min(1).optional(),
  /** Why there is no dashboard build, when start.ts tried and failed. */
  dashboardMissing: z.string().optional(),
})
export type HubConfig = z.infer<typeof HubConfigSchema>

/** The query service takes no body today; a POSTed spec will fit in this many times over. */
const QUERY_MAX_BODY_BYTES = 64 * 1024

export async function startHub(input: Partial<Record<keyof HubConfig, unknown>>) {
  const config = HubConfigSchema.parse(input)
  const layout = dataLayout(config.dataDir)
  const { state } = loadOrCreateState(layout)
  const logger = pino({ name: 'sightline-hub', level: config.logLevel }, pino.destination(2))
  const log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) =>
    logger[level](fields ?? {}, msg)
  // Sites, keys and settings: read through the catalog, which follows every change.
  const store = await openInstallStore(layout, config.metadataUrl)
  const catalog = await openSiteCatalog(store, {
    pollMs: config.metadataPollMs,
    onError: (err) => log('warn', 'metadata poll failed; serving the last snapshot', { err: String(err) }),
  })

  const cluster = config.cluster
  // Embedded: live fan-out in-process; cluster mode swaps in Redis behind the same port.
  const livePubSub = memoryPubSub()
  // The writer loads through the tracked warehouse, so the query service's result cache
  // knows the moment its last batch committed (a cached answer is never older than that).
  const watermark = insertWatermark()
  const pipeline = await composePipeline({
    wrapWarehouse: (warehouse) => watermark.track(warehouse),
    ...(cluster
      ? {
          stream: { kind: 'kafka', brokers: cluster.brokers },
          dedup: { kind: 'redis', url: cluster.redisUrl, prefix: cluster.redisPrefix },
        }
      : { stream: { kind: 'segment-log', dir: layout.stream }, dedup: { kind: 'memory' } }),
    warehouse: { mode: 'embedded', path: layout.chdb, database: config.database },
    sites: catalog.settings,
    ...receiverUnless(cluster !== undefined, {
      host: config.host,
      port: config.bridgePort,
      signingKeys: { [state.signing.key_id]: state.signing.key },
      // Local workerd has no real request.cf, so the bridge geolocates (DB-IP Lite, CC BY 4.0).
      geoDatabases: config.geoDatabases ?? dbipCityPaths(import.meta.url) ?? [],
      metricsToken: state.metrics_token,
      // The embedded install has one bridge; its canaries name it.
      canary: {
        bridgeId: 'hub',
        ...(config.canaryIntervalMs === undefined ? {} : { intervalMs: config.canaryIntervalMs }),
      },
    }),
    writer: {},
    log,
    live: livePubSub,
  })
  // One per-key budget for REST queries and live query runs alike.
  const inFlight = new KeyInFlight(DEFAULT_KEY_CONCURRENCY)
  const queryMetricsRegistry = queryMetrics({ processMetrics: true })
  // Sites' zones from the catalog (which follows admin changes): GET /v1/sites reports them,
  // and named ranges count their days in them, on REST and live alike.
  const siteTimeZone = (siteId: string) => catalog.sites().find((s) => s.site_id === siteId)?.time_zone
  const query = createQueryApp({
    warehouse: pipeline.warehouse!,
    keyConcurrency: inFlight,
    keys: catalog.readKeys,
    clock: () => new Date(),
    siteTimeZone,
    logger,
    dashboard: config.dashboardMissing
      ? { missing: config.dashboardMissing }
      : loadDashboardDir(config.dashboardDir),
    watermark,
    metrics: queryMetricsRegistry,
    metricsToken: state.metrics_token,
  })
  const queryServer = await pipeline.listen(withBodyLimit(query.fetch, QUERY_MAX_BODY_BYTES), {
    host: config.host,
    port: config.queryPort,
    limits: { maxBodyBytes: QUERY_MAX_BODY_BYTES },
  })
  pipeline.counters.describe(
    'sightline_live_query_runs_total',
    'Warehouse runs of live query subscriptions (one per spec and watermark, shared by its subscribers)',
  )
  const live = attachLive(queryServer, {
    keys: catalog.readKeys,
    pubsub: livePubSub,
    watermark,
    query: {
      warehouse: pipeline.warehouse!,
      inFlight,
      siteTimeZone,
      logger,
      onRun: (site, kind) => pipeline.counters.inc('sightline_live_query_runs_total', { site, kind }),
    },
    onBug: (err) => log('error', 'live API bug', { err: String((err as Error)?.stack ?? err) }),
  })
  queryMetricsRegistry.gauge('sightline_live_connections', 'Open live WebSocket connections', () =>
    live.connections(),
  )
  queryMetricsRegistry.gauge(
    'sightline_live_query_groups',
    'Distinct live query specs kept up to date (one shared run per watermark each)',
    () => live.queryGroups(),
  )
  catalog.onChange((snapshot) => {
    try {
      syncEndpointsSites(layout, snapshot.sites)
    } catch (err) {
      log('warn', 'could not update endpoints.json', { err: String(err) })
    }
  })
  const admin = await startAdminListener({
    layout,
    state,
    store,
    catalog,
    warehouse: pipeline.warehouse!,
    port: config.adminPort,
    onBug: (err) => log('error', 'admin API bug', { err: String((err as Error)?.stack ?? err) }),
  })
  const url = (server: Server) => `http://${config.host}:${(server.address() as AddressInfo).port}`
  let stopped: Promise<void> | undefined
  const stop = () => {
    stopped ??= (async () => {
      await admin.close()
      // Before the listener closes: upgraded sockets would hold it open, and clients get 1012.
      await live.close()
      await pipeline.stop()
      await livePubSub.close()
      catalog.stop()
      await store.close()
    })()
    return stopped
  }
  return {
    stop,
    store,
    catalog,
    counters: pipeline.counters,
    warehouse: pipeline.warehouse!,
    urls: {
      ...(pipeline.bridge ? { bridge: url(pipeline.bridge) } : {}),
      query: url(queryServer),
      admin: admin.url,
    },
  }
}

function receiverUnless(clusterMode: boolean, receiver: NonNullable<PipelineConfig['receiver']>) {
  return clusterMode ? {} : { receiver }
}
