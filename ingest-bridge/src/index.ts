export { openDedup } from './adapters/dedup.ts'
export {
  openRateCounters,
  QUOTA_COMMAND_TIMEOUT_MS,
  type RateCountersConfig,
} from './adapters/rate-counters.ts'
export { DEFAULT_SPOOL_BYTES, ensureKafkaTopics, openStream, TOPICS_FILE } from './adapters/stream.ts'
export type { BridgeAppDeps, Readiness } from './app.ts'
export { createApp } from './app.ts'
export {
  composePipeline,
  type DedupConfig,
  type ListenOptions,
  type Pipeline,
  type PipelineConfig,
  type StreamConfig,
} from './compose.ts'
export { readCappedBody, withBodyLimit } from './http/body.ts'
export { closeListener, DEFAULT_LIMITS, type ListenerLimits, serveNode } from './http/node-server.ts'
export type { LogFn } from './logger.ts'
export { Counters } from './metrics.ts'
export { type ReceiverDeps, receiverRoutes } from './receiver/app.ts'
export { MAX_EDGE_BATCH_BYTES, readEdgeBatch } from './receiver/edge-batch.ts'
export type { GeoLookup } from './receiver/geo.ts'
export { dbipCityPaths, openMaxmindGeo } from './receiver/geo-maxmind.ts'
export { splitByPerson } from './receiver/per-person.ts'
export { dropRawIps } from './receiver/raw-ip.ts'
export { ReplayGuard } from './receiver/replay-guard.ts'
export type { SiteQuota } from './receiver/site-quota.ts'
export { SpoolFullError, type SpoolStatus, spoolingStream } from './spool/spooling-stream.ts'
export { insertToken } from './writer/decode.ts'
export { refillDedupFromWarehouse } from './writer/dedup-recovery.ts'
export { startWriter, type Writer, type WriterDeps } from './writer/writer.ts'
