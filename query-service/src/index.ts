export {
  type ReadKeysFile,
  ReadKeysFileSchema,
  readKeysFromFile,
  staticReadKeys,
} from './adapters/read-keys-file.ts'
export { type App, type AppDeps, createApp } from './app.ts'
export { loadConfig, type QueryServiceConfig } from './config.ts'
export {
  openApiDocument,
  RejectedResponseSchema,
  StatsResponseSchema,
  TrendsResponseSchema,
} from './openapi.ts'
export * from './planner/index.ts'
export type { Clock, ReadKeyResolver } from './ports.ts'
export type { RejectedResponse } from './routes/rejected.ts'
export type { StatsResponse } from './routes/stats.ts'
export type { TrendsResponse } from './routes/trends.ts'
