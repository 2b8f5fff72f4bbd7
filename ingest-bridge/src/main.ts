// Composition root of a standalone bridge: the only place that reads the environment.
import { siteSettingsIndex } from '@sightline/metadata'
import { readSitesFile } from '@sightline/metadata/file'
import { openSiteCatalog, openSiteStore } from '@sightline/metadata/sql'
import { composePipeline } from './compose.ts'
import { loadBridgeConfig, pipelineConfig } from './config.ts'
import { createLogger } from './logger.ts'
import { followRemoteSites } from './sites-remote.ts'

const config = loadBridgeConfig(process.env)
const { log } = createLogger('ingest-bridge', config.LOG_LEVEL)
// Per-site retention, keep_ip and events_per_minute, the first source given of: the metadata
// database (followed live, polled every second), the hub's bridge view over HTTP (polled
// every second), a sites file read once; else the defaults.
const catalog = config.METADATA_URL
  ? await openSiteCatalog(await openSiteStore(config.METADATA_URL), {
      onError: (err) => log('warn', 'metadata poll failed; serving the last snapshot', { err: String(err) }),
    })
  : undefined
const remote =
  !catalog && config.SITES_URL
    ? await followRemoteSites({
        url: config.SITES_URL,
        token: config.SITES_TOKEN!,
        onError: (err) => log('warn', 'hub sites poll failed; serving the last view', { err: String(err) }),
      })
    : undefined
const sites =
  catalog?.settings ??
  remote?.settings ??
  (config.SITES_FILE ? siteSettingsIndex(readSitesFile(config.SITES_FILE).sites) : undefined)
const pipeline = await composePipeline({ ...pipelineConfig(config, sites), log, processMetrics: true })
log('info', 'bridge started', {
  roles: [...config.BRIDGE_ROLES],
  port: config.BRIDGE_PORT,
  sites: catalog ? 'metadata' : remote ? 'hub' : config.SITES_FILE ? 'file' : 'defaults',
})

async function shutdown(): Promise<void> {
  catalog?.stop()
  remote?.stop()
  await pipeline.stop()
  process.exit(0)
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
