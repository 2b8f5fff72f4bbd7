export { loadDashboardDir } from './adapters/dashboard-dir.ts'
export { type InsertWatermark, insertWatermark } from './adapters/insert-watermark.ts'
export {
  type ReadKeysFile,
  ReadKeysFileSchema,
  readKeysFromFile,
  staticReadKeys,
} from './adapters/read-keys-file.ts'
export {
  type App,
  type AppDeps,
  createApp,
  DEFAULT_AUTH_THROTTLE,
  DEFAULT_CACHE_TTL_MS,
  DEFAULT_KEY_CONCURRENCY,
} from './app.ts'
export { loadConfig, type QueryServiceConfig } from './config.ts'
export { type IngestResponse, IngestResponseSchema } from './http/ingest-route.ts'
export { type KeyConcurrencyOptions, KeyInFlight } from './http/key-concurrency.ts'
export { type QueryMetrics, type QueryMetricsOptions, queryMetrics } from './http/request-metrics.ts'
export * from './insights/index.ts'
export { DEFAULT_LIVE_OPTIONS, type LiveOptions } from './live/options.ts'
export { attachLive, type LiveDeps, type LiveEndpoint } from './live/server.ts'
export { openApiDocument } from './openapi.ts'
export type {
  Clock,
  DashboardAssets,
  ReadKeyResolver,
  SiteTimeZone,
  SiteWatermark,
  StaticAsset,
  Watermark,
} from './ports.ts'
export { compile, type Fragment, join, type Planned, param, property, sql } from './sql/fragment.ts'
