// Composition root of a standalone bridge: the only place that reads the environment.
import { serve } from '@hono/node-server'
import { memoryDedup } from '@sightline/state'
import { segmentLogStream } from '@sightline/stream'
import { migrate, openWarehouse } from '@sightline/warehouse'
import { createApp } from './app.ts'
import { loadBridgeConfig } from './config.ts'
import { createLogger } from './logger.ts'
import { Counters } from './metrics.ts'
import { openMaxmindGeo } from './receiver/geo-maxmind.ts'
import { startWriter } from './writer/writer.ts'

const config = loadBridgeConfig(process.env)
const { log } = createLogger('ingest-bridge', config.LOG_LEVEL)
const counters = new Counters()
const stream = segmentLogStream({ dir: config.STREAM_DIR })
let writer: { stop(): Promise<void> } | undefined
let closeWarehouse: (() => Promise<void>) | undefined

if (config.BRIDGE_ROLES.has('writer')) {
  const warehouse = await openWarehouse(
    config.CLICKHOUSE_URL
      ? {
          mode: 'http',
          url: config.CLICKHOUSE_URL,
          username: config.CLICKHOUSE_USER,
          password: config.CLICKHOUSE_PASSWORD,
          database: config.CLICKHOUSE_DATABASE,
        }
      : { mode: 'embedded', path: config.CHDB_PATH!, database: config.CLICKHOUSE_DATABASE },
  )
  await migrate(warehouse, { log: (m) => log('info', m) })
  writer = startWriter({
    stream,
    warehouse,
    dedup: memoryDedup(),
    counters,
    topic: config.STREAM_TOPIC,
    group: config.WRITER_GROUP,
    log,
  })
  closeWarehouse = () => warehouse.close()
}

const server = config.BRIDGE_ROLES.has('receiver')
  ? serve({
      fetch: createApp({
        stream,
        topic: config.STREAM_TOPIC,
        signingKeys: config.SIGNING_KEYS,
        counters,
        log,
        ...(config.GEO_DATABASES.length > 0 ? { geo: await openMaxmindGeo(config.GEO_DATABASES) } : {}),
      }).fetch,
      hostname: config.BRIDGE_HOST,
      port: config.BRIDGE_PORT,
    })
  : undefined
log('info', 'bridge started', { roles: [...config.BRIDGE_ROLES], port: config.BRIDGE_PORT })

async function shutdown(): Promise<void> {
  server?.close()
  await writer?.stop()
  await stream.close()
  await closeWarehouse?.()
  process.exit(0)
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
