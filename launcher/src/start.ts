// `npm start`: the embedded Sightline. Edge in a local workerd (wrangler dev), and one hub
// process with bridge + writer + query over chdb. Prints where to send and where to query.
import { mkdirSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { endpointsFor, renderBanner } from './banner.ts'
import { runCluster } from './cluster.ts'
import { dashboardBuild } from './dashboard.ts'
import { demoSize, demoWanted, readDemoRecord, startDemoLoad } from './demo/run.ts'
import { edgeVars, writeEdgeEnv } from './edge-env.ts'
import { startWorkerdEdge } from './edge-workerd.ts'
import { sitesFromHub } from './hub-sites.ts'
import { acquireLock } from './lock.ts'
import { freePort, isPortFree, waitForHttp } from './ports.ts'
import {
  recordPids,
  type Started,
  startEdgeProcess,
  startHubProcess,
  stopLeftovers,
  stopProcess,
} from './processes.ts'
import { DEMO_DATA_SITE, dataLayout, loadOrCreateState, writeJsonAtomic } from './workspace.ts'

// `npm start -- --cluster`: Kafka, Redis, N bridges, a writer (cluster.ts); never returns.
if (process.argv.includes('--cluster')) await runCluster(process.argv.slice(2))

const USAGE = `Usage: npm start -- [options]

Runs Sightline embedded: the edge (workerd), and one hub process with the ingest bridge,
the writer and the query service over an in-process ClickHouse (chdb).

Options (each also as an environment variable):
  --data-dir <dir>         data directory (SIGHTLINE_DATA_DIR, default .sightline)
  --host <addr>            address every service binds to (SIGHTLINE_HOST, default 127.0.0.1)
  --edge-port <port>       edge: where clients send events (SIGHTLINE_EDGE_PORT, default 8787)
  --bridge-port <port>     ingest bridge (SIGHTLINE_BRIDGE_PORT, default 8788)
  --query-port <port>      query service (SIGHTLINE_QUERY_PORT, default 8789)
  --edge-runtime <name>    workerd (default: workerd serve, as self-hosted) or wrangler
                           (wrangler dev, slower: a development proxy in front)
                           (SIGHTLINE_EDGE_RUNTIME)
  --no-demo                on a new data directory, make no demo-shop site with 30 days
                           of generated traffic (SIGHTLINE_DEMO=off; default on)
  --cluster                cluster mode on this machine instead: the Kafka broker, the
                           machine's Redis and PostgreSQL, N bridges, a writer host and the
                           edge (its options: docs/operations.md, "Running it locally")
  -h, --help               this text

One launcher per data directory: a second start on a running one says where it runs and
exits. Ctrl-C, SIGINT or SIGTERM stops every service.
`

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        'data-dir': { type: 'string' },
        host: { type: 'string' },
        'edge-port': { type: 'string' },
        'bridge-port': { type: 'string' },
        'query-port': { type: 'string' },
        'edge-runtime': { type: 'string' },
        demo: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowNegative: true,
    }).values
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`)
    process.exit(2)
  }
}
const values = parseCommandLine()
if (values.help) {
  process.stdout.write(USAGE)
  process.exit(0)
}

const StartConfigSchema = z.object({
  dataDir: z.string().default('.sightline'),
  host: z.string().default('127.0.0.1'),
  edgePort: z.coerce.number().int().min(1).max(65535).default(8787),
  bridgePort: z.coerce.number().int().min(1).max(65535).default(8788),
  queryPort: z.coerce.number().int().min(1).max(65535).default(8789),
  /** workerd: `workerd serve` as self-hosted; wrangler: `wrangler dev` (its dev proxy in front). */
  edgeRuntime: z.enum(['workerd', 'wrangler']).default('workerd'),
})

const parsedConfig = StartConfigSchema.safeParse({
  dataDir: values['data-dir'] ?? process.env.SIGHTLINE_DATA_DIR,
  host: values.host ?? process.env.SIGHTLINE_HOST,
  edgePort: values['edge-port'] ?? process.env.SIGHTLINE_EDGE_PORT,
  bridgePort: values['bridge-port'] ?? process.env.SIGHTLINE_BRIDGE_PORT,
  queryPort: values['query-port'] ?? process.env.SIGHTLINE_QUERY_PORT,
  edgeRuntime: values['edge-runtime'] ?? process.env.SIGHTLINE_EDGE_RUNTIME,
})
if (!parsedConfig.success) {
  process.stderr.write(`${z.prettifyError(parsedConfig.error)}\n\n${USAGE}`)
  process.exit(2)
}
const config = parsedConfig.data

/** Sites a new state file lists before the hub imports them (to word the first log line). */
function siteIdsIn(s: { sites?: unknown[] }): string[] {
  return (s.sites ?? []).map((x) => (x as { site_id?: string }).site_id ?? '')
}

const say = (msg: string) => process.stderr.write(`[sightline] ${msg}\n`)
const layout = dataLayout(config.dataDir)
const urls = {
  edge: `http://${config.host}:${config.edgePort}`,
  bridge: `http://${config.host}:${config.bridgePort}`,
  query: `http://${config.host}:${config.queryPort}`,
}
mkdirSync(layout.root, { recursive: true, mode: 0o700 })
// Before anything touches the data directory or its processes: one launcher per data dir.
const lock = acquireLock(layout.root, urls)
if (!lock.ok) {
  const at = lock.holder.urls.edge ? ` at ${lock.holder.urls.edge} (query ${lock.holder.urls.query})` : ''
  say(
    `already running${at}, pid ${lock.holder.pid}, on data directory ${layout.root}; stop it first (Ctrl-C or kill ${lock.holder.pid})`,
  )
  process.exit(1)
}
const releaseLock = lock.release
process.once('exit', releaseLock)
const { state, created } = loadOrCreateState(layout, {
  demoData: demoWanted(values.demo, process.env.SIGHTLINE_DEMO),
})
// The hub owns the metadata database: the sites are asked of it once it runs.
let siteList: Awaited<ReturnType<typeof sitesFromHub>> = []
stopLeftovers(layout)

for (const [name, port] of [
  ['edge', config.edgePort],
  ['bridge', config.bridgePort],
  ['query', config.queryPort],
] as const) {
  if (!(await isPortFree(port, config.host))) {
    say(`port ${port} (${name}) is in use: stop what holds it, or pass --${name}-port <port>`)
    process.exit(1)
  }
}

let hub: Started | undefined
let edge: Started | undefined
let demoLoad: Started | undefined
let shuttingDown = false

async function shutdown(code: number, why?: string): Promise<void> {
  // The first reason wins: children exiting because we stop them are not a second failure.
  if (shuttingDown) return
  shuttingDown = true
  if (why) say(why)
  say('stopping…')
  // The demo loader first: the hub must not stop while it still forwards batches.
  await stopProcess(demoLoad)
  await Promise.all([stopProcess(edge, { group: true }), stopProcess(hub)])
  releaseLock()
  process.exit(code)
}
process.on('SIGINT', () => void shutdown(0))
process.on('SIGTERM', () => void shutdown(0))

try {
  const made = siteIdsIn(state).includes(DEMO_DATA_SITE) ? 'demo and demo-shop sites' : 'demo site'
  say(`data directory ${layout.root}${created ? ` (new: ${made} and keys created)` : ''}`)
  say('starting the hub (bridge + writer + query over chdb)…')
  hub = await startHubProcess(layout, {
    dataDir: layout.root,
    host: config.host,
    bridgePort: config.bridgePort,
    queryPort: config.queryPort,
    ...(await dashboardBuild(say)),
  })
  recordPids(layout, { launcher: process.pid, hub: hub.child.pid })
  siteList = await sitesFromHub(layout, state)
  const vars = edgeVars(layout, state, siteList, urls.bridge)
  if (config.edgeRuntime === 'workerd') {
    say('starting the edge (workerd serve)…')
    edge = await startWorkerdEdge(layout, { host: config.host, port: config.edgePort, vars })
  } else {
    say('starting the edge (wrangler dev, local workerd)…')
    edge = startEdgeProcess(layout, {
      host: config.host,
      port: config.edgePort,
      inspectorPort: await freePort(),
      envFile: writeEdgeEnv(layout, vars),
    })
  }
  recordPids(layout, { launcher: process.pid, hub: hub.child.pid, edge: edge.child.pid })
  await waitForHttp(`${urls.edge}/healthz`, 120_000, edge.alive)
} catch (err) {
  await shutdown(1, `could not start: ${(err as Error).message} (logs in ${layout.logs})`)
}

const endpoints = endpointsFor(
  siteList,
  urls,
  layout.root,
  state.metrics_token,
  loadOrCreateState(layout).state,
)
writeJsonAtomic(layout.endpoints, {
  ...endpoints,
  pids: { launcher: process.pid, hub: hub!.child.pid, edge: edge!.child.pid },
})
// After the banner, in the background: the stack is usable at once, the demo fills in.
demoLoad = startDemoLoad(layout, state, siteList, urls.bridge, demoSize(process.env), say)
const demoRecord = readDemoRecord(layout)
const demo = siteList.some((s) => s.site_id === DEMO_DATA_SITE)
  ? {
      site: DEMO_DATA_SITE,
      days: demoRecord?.days ?? demoSize(process.env).days,
      loading: demoLoad !== undefined,
    }
  : undefined
process.stdout.write(renderBanner(endpoints, created, layout.endpoints, 'embedded', demo))

hub!.child.once(
  'exit',
  (code, signal) => void shutdown(1, `the hub stopped (${signal ?? code}); see ${layout.logs}/hub.log`),
)
edge!.child.once(
  'exit',
  (code, signal) => void shutdown(1, `the edge stopped (${signal ?? code}); see ${layout.logs}/edge.log`),
)
