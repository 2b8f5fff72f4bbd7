// `npm start`: the embedded Sightline. Edge in a local workerd (wrangler dev), and one hub
// process with bridge + writer + query over chdb. Prints where to send and where to query.
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { endpointsFor, renderBanner } from './banner.ts'
import { edgeVars, writeEdgeEnv } from './edge-env.ts'
import { startWorkerdEdge } from './edge-workerd.ts'
import { sitesFromHub } from './hub-sites.ts'
import { freePort, isPortFree, waitForHttp } from './ports.ts'
import {
  recordPids,
  type Started,
  startEdgeProcess,
  startHubProcess,
  stopLeftovers,
  stopProcess,
} from './processes.ts'
import { dataLayout, loadOrCreateState, writeJsonAtomic } from './workspace.ts'

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    host: { type: 'string' },
    'edge-port': { type: 'string' },
    'bridge-port': { type: 'string' },
    'query-port': { type: 'string' },
    'edge-runtime': { type: 'string' },
  },
})

const StartConfigSchema = z.object({
  dataDir: z.string().default('.sightline'),
  host: z.string().default('127.0.0.1'),
  edgePort: z.coerce.number().int().min(1).max(65535).default(8787),
  bridgePort: z.coerce.number().int().min(1).max(65535).default(8788),
  queryPort: z.coerce.number().int().min(1).max(65535).default(8789),
  /** workerd: `workerd serve` as self-hosted; wrangler: `wrangler dev` (its dev proxy in front). */
  edgeRuntime: z.enum(['workerd', 'wrangler']).default('workerd'),
})

const config = StartConfigSchema.parse({
  dataDir: values['data-dir'] ?? process.env.SIGHTLINE_DATA_DIR,
  host: values.host ?? process.env.SIGHTLINE_HOST,
  edgePort: values['edge-port'] ?? process.env.SIGHTLINE_EDGE_PORT,
  bridgePort: values['bridge-port'] ?? process.env.SIGHTLINE_BRIDGE_PORT,
  queryPort: values['query-port'] ?? process.env.SIGHTLINE_QUERY_PORT,
  edgeRuntime: values['edge-runtime'] ?? process.env.SIGHTLINE_EDGE_RUNTIME,
})

const say = (msg: string) => process.stderr.write(`[sightline] ${msg}\n`)
const layout = dataLayout(config.dataDir)
const { state, created } = loadOrCreateState(layout)
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

const urls = {
  edge: `http://${config.host}:${config.edgePort}`,
  bridge: `http://${config.host}:${config.bridgePort}`,
  query: `http://${config.host}:${config.queryPort}`,
}
let hub: Started | undefined
let edge: Started | undefined
let shuttingDown = false

async function shutdown(code: number, why?: string): Promise<void> {
  // The first reason wins: children exiting because we stop them are not a second failure.
  if (shuttingDown) return
  shuttingDown = true
  if (why) say(why)
  say('stopping…')
  await Promise.all([stopProcess(edge, { group: true }), stopProcess(hub)])
  process.exit(code)
}
process.on('SIGINT', () => void shutdown(0))
process.on('SIGTERM', () => void shutdown(0))

try {
  say(`data directory ${layout.root}${created ? ' (new: demo site and keys created)' : ''}`)
  say('starting the hub (bridge + writer + query over chdb)…')
  hub = await startHubProcess(layout, {
    dataDir: layout.root,
    host: config.host,
    bridgePort: config.bridgePort,
    queryPort: config.queryPort,
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
process.stdout.write(renderBanner(endpoints, created, layout.endpoints))

hub!.child.once(
  'exit',
  (code, signal) => void shutdown(1, `the hub stopped (${signal ?? code}); see ${layout.logs}/hub.log`),
)
edge!.child.once(
  'exit',
  (code, signal) => void shutdown(1, `the edge stopped (${signal ?? code}); see ${layout.logs}/edge.log`),
)
