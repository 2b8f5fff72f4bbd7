export { loadDashboardDir } from './adapters/dashboard-dir.ts'
export {
  type ReadKeysFile,
  ReadKeysFileSchema,
  readKeysFromFile,
  staticReadKeys,
} from './adapters/read-keys-file.ts'
export { type App, type AppDeps, createApp, DEFAULT_AUTH_THROTTLE } from './app.ts'
export { loadConfig, type QueryServiceConfig } from './config.ts'
export * from './insights/index.ts'
export { DEFAULT_LIVE_OPTIONS, type LiveOptions } from './live/options.ts'
export { attachLive, type LiveDeps, type LiveEndpoint } from './live/server.ts'
export { openApiDocument } from './openapi.ts'
export type { Clock, DashboardAssets, ReadKeyResolver, StaticAsset } from './ports.ts'
export { compile, type Fragment, join, type Planned, param, property, sql } from './sql/fragment.ts'
