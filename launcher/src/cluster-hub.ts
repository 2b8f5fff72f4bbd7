// The cluster-mode writer host: the writer role (Kafka consumer group member, Redis dedup)
// and the query service, in ONE process because chdb allows one ClickHouse engine per data
// path per process. With a ClickHouse server (CLICKHOUSE_URL) they would be separate
// processes; here the embedded engine stands in for it. Started by cluster.ts.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { composePipeline, withBodyLimit } from '@sightline/ingest-bridge'
import { readKeysFile, siteSettingsIndex } from '@sightline/metadata'
import { createApp as createQueryApp, staticReadKeys } from '@sightline/query-service'
import pino from 'pino'
import { z } from 'zod'
import { dataLayout, loadOrCreateState } from './workspace.ts'

const ClusterHubConfigSchema = z.object({
  dataDir: z.string().min(1),
  host: z.string().default('127.0.0.1'),
  queryPort: z.coerce.number().int().min(0).max(65535),
  brokers: z.array(z.string().min(1)).min(1),
  redisUrl: z.string().min(1),
  redisPrefix: z.string().min(1),
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('sightline'),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
})

const QUERY_MAX_BODY_BYTES = 64 * 1024

export async function startClusterHub(input: unknown) {
  const config = ClusterHubConfigSchema.parse(input)
  const layout = dataLayout(config.dataDir)
  const { sites: store } = loadOrCreateState(layout)
  const sites = await store.list()
  const logger = pino({ name: 'sightline-writer', level: config.logLevel }, pino.destination(2))
  const log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) =>
    logger[level](fields ?? {}, msg)
  const pipeline = await composePipeline({
    stream: { kind: 'kafka', brokers: config.brokers },
    dedup: { kind: 'redis', url: config.redisUrl, prefix: config.redisPrefix },
    warehouse: { mode: 'embedded', path: layout.chdb, database: config.database },
    sites: siteSettingsIndex(sites),
    writer: {},
    log,
  })
  const query = createQueryApp({
    warehouse: pipeline.warehouse!,
    keys: staticReadKeys(readKeysFile(sites)),
    clock: () => new Date(),
    logger,
  })
  const server: Server = await pipeline.listen(withBodyLimit(query.fetch, QUERY_MAX_BODY_BYTES), {
    host: config.host,
    port: config.queryPort,
    limits: { maxBodyBytes: QUERY_MAX_BODY_BYTES },
  })
  return { stop: pipeline.stop, url: `http://${config.host}:${(server.address() as AddressInfo).port}` }
}
