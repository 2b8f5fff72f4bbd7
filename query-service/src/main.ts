import { serve } from '@hono/node-server'
import { openWarehouse } from '@sightline/warehouse'
import { pino } from 'pino'
import { readKeysFromFile } from './adapters/read-keys-file.ts'
import { createApp } from './app.ts'
import { loadConfig } from './config.ts'
import { queryMetrics } from './http/request-metrics.ts'

// Composition root for running the query service on its own (cluster mode). The embedded
// launcher does not use this file: it shares one chdb engine between roles and calls
// createApp with its own warehouse.
const config = loadConfig(process.env)
const logger = pino({
  level: config.logLevel,
  redact: { paths: ['req.headers.authorization', 'warehouse.password', '*.password'], censor: '[redacted]' },
})
const warehouse = await openWarehouse(config.warehouse)
const keys = await readKeysFromFile(config.readKeysFile)
const app = createApp({
  warehouse,
  keys,
  clock: () => new Date(),
  logger,
  authThrottle: config.authThrottle,
  keyConcurrency: config.keyConcurrency,
  metrics: queryMetrics({ processMetrics: true }),
  ...(config.metricsToken ? { metricsToken: config.metricsToken } : {}),
  // No watermark: this process does not see the writer's commits, so the result cache stays
  // off rather than risk a stale answer (the hub, which runs the writer, turns it on).
})

const server = serve({ fetch: app.fetch, port: config.port }, (info) => {
  logger.info({ port: info.port, warehouse: config.warehouse.mode }, 'query-service listening')
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => void warehouse.close().finally(() => process.exit(0)))
  })
}
