// The environment of one receiver-only bridge of `npm start -- --cluster` (cluster.ts), and
// where it reads the sites' settings (retention, keep_ip, events_per_minute) from.
import { createHmac } from 'node:crypto'
import { join } from 'node:path'
import type { InstallState } from './workspace.ts'

/**
 * The bridges' token for the hub's `GET /admin/v1/bridge/sites` (read-only, that route only:
 * the view holds no key). Derived from the signing key like the edge's, so it needs no state.
 */
export function bridgeSitesToken(state: Pick<InstallState, 'signing'>): string {
  return createHmac('sha256', state.signing.key).update('sightline bridge sites v1').digest('base64url')
}

/**
 * A PostgreSQL server the bridges open themselves (`database`: METADATA_URL, its change
 * counter polled every second). PGlite is one process's database, the hub's, so then they
 * follow the hub's bridge view over HTTP (`hub`: SITES_URL, every second). Either way a
 * change applies without a restart.
 */
export function bridgeSitesSource(metadataUrl: string): 'database' | 'hub' {
  return /^postgres(ql)?:\/\//.test(metadataUrl) ? 'database' : 'hub'
}

/**
 * The bridge's sites source as environment. The other sources are unset, so none inherited
 * from the launcher's environment takes precedence (an undefined value leaves the child's).
 */
export function bridgeSitesEnv(
  metadataUrl: string,
  hubAdminUrl: string,
  state: Pick<InstallState, 'signing'>,
): Record<string, string | undefined> {
  const none = {
    METADATA_URL: undefined,
    SITES_URL: undefined,
    SITES_TOKEN: undefined,
    SITES_FILE: undefined,
  }
  return bridgeSitesSource(metadataUrl) === 'database'
    ? { ...none, METADATA_URL: metadataUrl }
    : { ...none, SITES_URL: `${hubAdminUrl}/admin/v1/bridge/sites`, SITES_TOKEN: bridgeSitesToken(state) }
}

export interface ClusterBridge {
  name: string
  host: string
  port: number
  dataRoot: string
  brokers: readonly string[]
  redisUrl: string
  redisPrefix: string
  /** The hub's metadata database, as the hub opened it (metadata.ts `metadataUrl`). */
  metadataUrl: string
  /** The running hub's admin listener (admin.json). */
  hubAdminUrl: string
}

export function clusterBridgeEnv(
  bridge: ClusterBridge,
  state: Pick<InstallState, 'signing' | 'metrics_token'>,
): Record<string, string | undefined> {
  return {
    BRIDGE_HOST: bridge.host,
    BRIDGE_PORT: String(bridge.port),
    BRIDGE_ROLES: 'receiver',
    // Its canaries' name in ingest_stats (ADR 0028): stable across restarts of the bridge.
    BRIDGE_ID: bridge.name,
    STREAM_DIR: join(bridge.dataRoot, bridge.name),
    KAFKA_BROKERS: bridge.brokers.join(','),
    // The per-site quota's counters: shared, so the bridges enforce one limit per site.
    REDIS_URL: bridge.redisUrl,
    REDIS_PREFIX: bridge.redisPrefix,
    SIGNING_KEYS: JSON.stringify({ [state.signing.key_id]: state.signing.key }),
    METRICS_TOKEN: state.metrics_token,
    ...bridgeSitesEnv(bridge.metadataUrl, bridge.hubAdminUrl, state),
  }
}
