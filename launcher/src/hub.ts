// The embedded hub: bridge (receiver + writer) and query service in ONE Node process,
// because chdb allows one ClickHouse engine per data path per process.
// Started by start.ts; prints one JSON line {"ready":...} on stdout when it serves.
import { serve } from '@hono/node-server'
import {
  Counters,
  createApp as createBridgeApp,
  dbipCityPaths,
  openMaxmindGeo,
  startWriter,
} from '@sightline/ingest-bridge'
import { createApp as createQueryApp, staticReadKeys } from '@sightline/query-service'
import { memoryDedup } from '@sightline/state'
import { segmentLogStream } from '@sightline/stream'
import { migrate, openWarehouse } from '@sightline/warehouse'
import pino from 'pino'
import { z } from 'zod'
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
})
export type HubConfig = z.infer<typeof HubConfigSchema>

export async function startHub(input: Partial<Record<keyof HubConfig, unknown>>) {
  const config = HubConfigSchema.parse(input)
  const layout = dataLayout(config.dataDir)
  const { state } = loadOrCreateState(layout)
  const logger = pino({ name: 'sightline-hub', level: config.logLevel }, pino.destination(2))
  const log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) =>
    logger[level](fields ?? {}, msg)

  const warehouse = await openWarehouse({ mode: 'embedded', path: layout.chdb, database: config.database })
  await migrate(warehouse, { log: (m) => log('info', m) })
  const stream = segmentLogStream({
    dir: layout.stream,
    onError: (err, ctx) => log('warn', 'stream consumer retrying', { err: String(err), ...ctx }),
  })
  const counters = new Counters()
  const topic = 'events.v1'
  const writer = startWriter({
    stream,
    warehouse,
    dedup: memoryDedup(),
    counters,
    topic,
    group: 'writer',
    log,
  })

  // Local workerd has no real request.cf, so the bridge geolocates (DB-IP Lite, CC BY 4.0).
  const geoPaths = config.geoDatabases ?? dbipCityPaths(import.meta.url) ?? []
  const geo = geoPaths.length > 0 ? await openMaxmindGeo(geoPaths) : undefined
  const bridge = serve({
    fetch: createBridgeApp({
      stream,
      topic,
      counters,
      signingKeys: { [state.signing.key_id]: state.signing.key },
      log,
      ...(geo ? { geo } : {}),
    }).fetch,
    hostname: config.host,
    port: config.bridgePort,
  })
  const keys = staticReadKeys({
    read_keys: state.sites.map((s) => ({ key: s.read_keys[0]!, sites: [s.site_id] })),
  })
  const query = serve({
    fetch: createQueryApp({ warehouse, keys, clock: () => new Date(), logger }).fetch,
    hostname: config.host,
    port: config.queryPort,
  })

  let stopping = false
  async function stop(): Promise<void> {
    if (stopping) return
    stopping = true
    await Promise.all([closeServer(bridge), closeServer(query)])
    await writer.stop()
    await stream.close()
    await warehouse.close()
  }
  return { stop, counters, warehouse }
}

function closeServer(server: { close(cb?: (err?: Error) => void): unknown }): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}
