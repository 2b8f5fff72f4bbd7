// `npm start -- --cluster`: the cluster-mode stack on one machine. The pinned Kafka broker
// (infra/kafka), the machine's Redis and PostgreSQL (the metadata, cluster-metadata.ts), N
// receiver-only bridges (each with its own spool), one writer host (writer + query service +
// admin API over chdb: hub.ts with `cluster`) and the edge, which fails over across the
// bridges. Prints the same banner as embedded mode. The bridges follow the sites' settings in
// the hub's metadata live (bridge-env.ts says how); a bridge that dies is started again.
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ensureKafkaTopics } from '@sightline/ingest-bridge'
import { type KafkaBroker, startKafka } from '@sightline/kafka-local'
import { connectRedis } from '@sightline/state'
import { z } from 'zod'
import { runningAdminUrl } from './admin-client.ts'
import { endpointsFor, renderBanner } from './banner.ts'
import { bridgeSitesSource, clusterBridgeEnv } from './bridge-env.ts'
import { chooseClusterMetadata, DEFAULT_POSTGRES_URL, dataDirId } from './cluster-metadata.ts'
import { dashboardBuild } from './dashboard.ts'
import { edgeVars, writeEdgeEnv } from './edge-env.ts'
import { sitesFromHub } from './hub-sites.ts'
import { acquireLock } from './lock.ts'
import { freePort, isPortFree, waitForHttp } from './ports.ts'
import {
  recordPids,
  repoRoot,
  type Started,
  startEdgeProcess,
  startHubProcess,
  stopLeftovers,
  stopProcess,
} from './processes.ts'
import { restartOnExit } from './restart.ts'
import { type DataLayout, dataLayout, loadOrCreateState, writeJsonAtomic } from './workspace.ts'

const ClusterConfigSchema = z.object({
  dataDir: z.string().default('.sightline-cluster'),
  host: z.string().default('127.0.0.1'),
  edgePort: z.coerce.number().int().min(1).max(65535).default(8787),
  queryPort: z.coerce.number().int().min(1).max(65535).default(8789),
  /** The first bridge's port; bridge i listens on bridgePort + i. */
  bridgePort: z.coerce.number().int().min(1).max(65535).default(8790),
  bridges: z.coerce.number().int().min(1).max(16).default(2),
  redisUrl: z.string().default('redis://127.0.0.1:6379'),
  /**
   * The hub's metadata database as given: postgres://… (used as is), `pglite` (PGlite under
   * the data dir) or pglite:<dir>. Default: the data dir's own database on `postgresUrl`.
   */
  metadataUrl: z
    .string()
    .regex(
      /^(postgres(ql)?:\/\/|pglite(:|$))/,
      'must be postgres://…, postgresql://…, pglite or pglite:<dir>',
    )
    .optional(),
  /** The PostgreSQL server the data dir's own metadata database is made on. */
  postgresUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be postgres://…')
    .default(DEFAULT_POSTGRES_URL),
})

/** One key prefix per data directory, so two local clusters never share dedup marks. */
export function redisPrefixFor(root: string): string {
  return `sl:${dataDirId(root)}:`
}

/** A role process under tsx; its stderr and stdout go to logs/<name>.log. */
function spawnRole(layout: DataLayout, name: string, entry: string, args: string[], env: object): Started {
  const log = createWriteStream(join(layout.logs, `${name}.log`), { flags: 'a' })
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', entry, ...args, `--sightline-data=${layout.root}`],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  )
  // Both: the bridge logs (pino) on stdout, and a pipe nobody reads fills and stalls its writer.
  child.stdout!.pipe(log)
  child.stderr!.pipe(log)
  let alive = true
  child.once('exit', () => (alive = false))
  child.once('error', () => (alive = false))
  return { child, alive: () => alive }
}

/** The command line; a mistake is one line and status 2, not a stack trace. */
function parseClusterArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        cluster: { type: 'boolean' },
        'data-dir': { type: 'string' },
        host: { type: 'string' },
        'edge-port': { type: 'string' },
        'bridge-port': { type: 'string' },
        'query-port': { type: 'string' },
        bridges: { type: 'string' },
        'redis-url': { type: 'string' },
        'metadata-url': { type: 'string' },
        'postgres-url': { type: 'string' },
      },
    })
  } catch (err) {
    process.stderr.write(
      `${(err as Error).message} (cluster options: docs/operations.md, "Running it locally")\n`,
    )
    process.exit(2)
  }
}

export async function runCluster(argv: string[]): Promise<never> {
  const { values } = parseClusterArgs(argv)
  const parsed = ClusterConfigSchema.safeParse({
    dataDir: values['data-dir'] ?? process.env.SIGHTLINE_DATA_DIR,
    host: values.host ?? process.env.SIGHTLINE_HOST,
    edgePort: values['edge-port'] ?? process.env.SIGHTLINE_EDGE_PORT,
    bridgePort: values['bridge-port'] ?? process.env.SIGHTLINE_BRIDGE_PORT,
    queryPort: values['query-port'] ?? process.env.SIGHTLINE_QUERY_PORT,
    bridges: values.bridges ?? process.env.SIGHTLINE_BRIDGES,
    redisUrl: values['redis-url'] ?? process.env.SIGHTLINE_REDIS_URL,
    metadataUrl: values['metadata-url'] ?? process.env.SIGHTLINE_METADATA_URL,
    postgresUrl: values['postgres-url'] ?? process.env.SIGHTLINE_POSTGRES_URL,
  })
  if (!parsed.success) {
    process.stderr.write(`${z.prettifyError(parsed.error)}\n`)
    process.exit(2)
  }
  const config = parsed.data
  const say = (msg: string) => process.stderr.write(`[sightline] ${msg}\n`)
  const layout = dataLayout(config.dataDir)
  const bridgePorts = Array.from({ length: config.bridges }, (_, i) => config.bridgePort + i)
  const urls = {
    edge: `http://${config.host}:${config.edgePort}`,
    bridges: bridgePorts.map((p) => `http://${config.host}:${p}`),
    query: `http://${config.host}:${config.queryPort}`,
  }
  mkdirSync(layout.root, { recursive: true, mode: 0o700 })
  // As in embedded mode: one launcher per data directory, before anything touches its
  // processes (stopLeftovers would otherwise kill a running cluster's children).
  const lock = acquireLock(layout.root, { edge: urls.edge, query: urls.query })
  if (!lock.ok) {
    const at = lock.holder.urls.edge ? ` at ${lock.holder.urls.edge} (query ${lock.holder.urls.query})` : ''
    say(
      `already running${at}, pid ${lock.holder.pid}, on data directory ${layout.root}; stop it first (Ctrl-C or kill ${lock.holder.pid})`,
    )
    process.exit(1)
  }
  process.once('exit', lock.release)
  const { state, created } = loadOrCreateState(layout)
  let siteList: Awaited<ReturnType<typeof sitesFromHub>> = []
  stopLeftovers(layout)
  for (const port of [config.edgePort, config.queryPort, ...bridgePorts]) {
    if (!(await isPortFree(port, config.host))) {
      say(`port ${port} is in use: stop what holds it, or pass --edge-port / --query-port / --bridge-port`)
      process.exit(1)
    }
  }

  let broker: KafkaBroker | undefined
  const children: Record<string, Started> = {}
  let shuttingDown = false
  const pids = () => ({
    launcher: process.pid,
    ...(broker ? { kafka: broker.pid } : {}),
    ...Object.fromEntries(Object.entries(children).map(([name, s]) => [name, s.child.pid])),
  })
  async function shutdown(code: number, why?: string): Promise<never> {
    if (!shuttingDown) {
      shuttingDown = true
      if (why) say(why)
      say('stopping…')
      const { edge, ...rest } = children
      // Edge first (no new traffic), then bridges and writer (they drain), then the broker.
      await stopProcess(edge, { group: true })
      await Promise.all(Object.values(rest).map((s) => stopProcess(s)))
      await broker?.stop()
      process.exit(code)
    }
    return new Promise<never>(() => {})
  }
  process.on('SIGINT', () => void shutdown(0))
  process.on('SIGTERM', () => void shutdown(0))

  const bridgeName = (i: number) => `bridge-${i + 1}`
  let startBridge: (i: number) => Started = () => {
    throw new Error('bridges start after the writer host')
  }
  const bridgeReady = (i: number, s: Started) => waitForHttp(`${urls.bridges[i]}/healthz`, 120_000, s.alive)
  try {
    say(`data directory ${layout.root}${created ? ' (new: demo site and keys created)' : ''}`)
    const redisPrefix = redisPrefixFor(layout.root)
    const redis = await connectRedis(config.redisUrl).catch((err: Error) => {
      throw new Error(
        `Redis at ${config.redisUrl} does not answer (${err.message}); start it or pass --redis-url`,
      )
    })
    redis.disconnect()
    say(`Redis ${config.redisUrl} (key prefix ${redisPrefix})`)
    // Before the broker: a missing PostgreSQL is reported in a second, not after Kafka's start.
    const metadata = await chooseClusterMetadata({
      layout,
      server: config.postgresUrl,
      imported: state.sites === undefined,
      ...(config.metadataUrl ? { given: config.metadataUrl } : {}),
    })
    say(metadata.said)
    say('starting the Kafka broker (infra/kafka; the first start downloads its jars)…')
    broker = await startKafka({ dataDir: join(layout.root, 'kafka'), heapMb: 512 })
    recordPids(layout, pids())
    await ensureKafkaTopics(broker.brokers)
    say(`Kafka ${broker.brokers.join(',')}`)

    say('starting the writer host (writer + query + admin over chdb)…')
    children.writer = await startHubProcess(layout, {
      dataDir: layout.root,
      host: config.host,
      queryPort: config.queryPort,
      bridgePort: 0,
      cluster: { brokers: broker.brokers, redisUrl: config.redisUrl, redisPrefix },
      metadataUrl: metadata.url,
      ...(await dashboardBuild(say)),
    })
    recordPids(layout, pids())
    siteList = await sitesFromHub(layout, state)
    const hubAdminUrl = await runningAdminUrl(layout, state.admin_token)
    if (!hubAdminUrl) throw new Error(`the hub's admin API does not answer (${layout.admin})`)
    say(
      bridgeSitesSource(metadata.url) === 'hub'
        ? `site settings: the bridges follow the writer host's (PGlite) over HTTP`
        : 'site settings: the bridges follow the PostgreSQL metadata database',
    )

    say(`starting ${config.bridges} bridge(s) (receiver → Kafka, spool on local disk)…`)
    startBridge = (i) => {
      const name = bridgeName(i)
      const env = clusterBridgeEnv(
        {
          name,
          host: config.host,
          port: bridgePorts[i]!,
          dataRoot: layout.root,
          brokers: broker!.brokers,
          redisUrl: config.redisUrl,
          redisPrefix,
          metadataUrl: metadata.url,
          hubAdminUrl,
        },
        state,
      )
      children[name] = spawnRole(layout, name, join(repoRoot, 'ingest-bridge', 'src', 'main.ts'), [], env)
      recordPids(layout, pids())
      return children[name]!
    }
    await Promise.all(bridgePorts.map((_, i) => bridgeReady(i, startBridge(i))))

    say('starting the edge (wrangler dev, local workerd)…')
    const envFile = writeEdgeEnv(layout, edgeVars(layout, state, siteList, urls.bridges))
    children.edge = startEdgeProcess(layout, {
      host: config.host,
      port: config.edgePort,
      inspectorPort: await freePort(),
      envFile,
    })
    recordPids(layout, pids())
    await waitForHttp(`${urls.edge}/healthz`, 120_000, children.edge.alive)
  } catch (err) {
    return shutdown(1, `could not start: ${(err as Error).message} (logs in ${layout.logs})`)
  }

  const endpoints = endpointsFor(
    siteList,
    { edge: urls.edge, query: urls.query, bridge: urls.bridges[0]! },
    layout.root,
    state.metrics_token,
    loadOrCreateState(layout).state,
  )
  writeJsonAtomic(layout.endpoints, {
    ...endpoints,
    bridges: urls.bridges,
    kafka: broker!.brokers,
    pids: pids(),
  })
  process.stdout.write(renderBanner(endpoints, created, layout.endpoints, 'cluster'))
  say(`cluster mode: ${config.bridges} bridges (${urls.bridges.join(', ')}), Kafka ${broker!.brokers[0]}`)
  // The writer host and the edge are one of a kind: losing either stops the cluster. A bridge
  // is one of several, so the edge fails over while it is started again (restart.ts).
  for (const name of ['writer', 'edge'] as const) {
    children[name]!.child.once(
      'exit',
      (code, signal) =>
        void shutdown(1, `${name} stopped (${signal ?? code}); see ${layout.logs}/${name}.log`),
    )
  }
  bridgePorts.forEach((_, i) => {
    const name = bridgeName(i)
    restartOnExit(children[name]!, {
      name,
      spawn: () => startBridge(i),
      ready: (s) => bridgeReady(i, s),
      stopping: () => shuttingDown,
      say,
      giveUp: (why) => void shutdown(1, `${why}; see ${layout.logs}/${name}.log`),
    })
  })
  return new Promise<never>(() => {})
}
