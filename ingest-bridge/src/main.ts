// Composition root of a standalone bridge: the only place that reads the environment.
import { siteSettingsIndex } from '@sightline/metadata'
import { fileSiteStore } from '@sightline/metadata/file'
import { composePipeline } from './compose.ts'
import { loadBridgeConfig, pipelineConfig } from './config.ts'
import { createLogger } from './logger.ts'

const config = loadBridgeConfig(process.env)
const { log } = createLogger('ingest-bridge', config.LOG_LEVEL)
const sites = config.SITES_FILE ? siteSettingsIndex(await fileSiteStore(config.SITES_FILE).list()) : undefined
const pipeline = await composePipeline({ ...pipelineConfig(config, sites), log })
log('info', 'bridge started', { roles: [...config.BRIDGE_ROLES], port: config.BRIDGE_PORT })

async function shutdown(): Promise<void> {
  await pipeline.stop()
  process.exit(0)
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
