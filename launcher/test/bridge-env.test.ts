import { describe, expect, it } from 'vitest'
import { loadBridgeConfig, pipelineConfig } from '../../ingest-bridge/src/config.ts'
import { bridgeSitesSource, bridgeSitesToken, clusterBridgeEnv } from '../src/bridge-env.ts'
import { edgeSitesToken } from '../src/edge-env.ts'

/** Where a local cluster's bridge reads the sites' settings from, decided by the hub's metadata URL. */
const state = {
  signing: { key_id: 'k1', key: 'signing-key-for-bridge-env-tests-0123456789' },
  metrics_token: 'mt_metrics-token-for-tests',
}
const bridge = (metadataUrl: string) => ({
  name: 'bridge-2',
  host: '127.0.0.1',
  port: 8791,
  dataRoot: 'sl-data',
  brokers: ['127.0.0.1:9092', '127.0.0.1:9093'],
  redisUrl: 'redis://127.0.0.1:6379',
  redisPrefix: 'sl:abc:',
  metadataUrl,
  hubAdminUrl: 'http://127.0.0.1:40123',
})
/** What the child gets: spawn leaves out undefined values. */
const childEnv = (env: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined))

describe('a cluster bridge’s settings source', () => {
  it('is the database itself when it is a PostgreSQL server', () => {
    for (const url of ['postgres://u:p@db:5432/meta', 'postgresql://db/meta']) {
      expect(bridgeSitesSource(url)).toBe('database')
      const env = clusterBridgeEnv(bridge(url), state)
      expect(env.METADATA_URL).toBe(url)
      expect(env.SITES_URL).toBeUndefined()
      expect(env.SITES_TOKEN).toBeUndefined()
      // The bridge takes it, and it wins there too.
      expect(loadBridgeConfig(childEnv(env)).METADATA_URL).toBe(url)
    }
  })

  it('is the hub’s bridge view over HTTP when the hub holds PGlite', () => {
    for (const url of ['pglite:sl-data/metadata', 'pglite:memory']) {
      expect(bridgeSitesSource(url)).toBe('hub')
      const env = clusterBridgeEnv(bridge(url), state)
      expect(env.METADATA_URL).toBeUndefined()
      expect(env.SITES_URL).toBe('http://127.0.0.1:40123/admin/v1/bridge/sites')
      expect(env.SITES_TOKEN).toBe(bridgeSitesToken(state))
      const config = loadBridgeConfig(childEnv(env))
      expect(config.SITES_URL).toBe(env.SITES_URL)
      expect(config.SITES_TOKEN).toBe(env.SITES_TOKEN)
    }
  })

  it('unsets every other source, so none inherited from the launcher’s environment wins', () => {
    for (const url of ['postgres://db/meta', 'pglite:sl-data/metadata']) {
      const env = clusterBridgeEnv(bridge(url), state)
      for (const key of ['METADATA_URL', 'SITES_URL', 'SITES_TOKEN', 'SITES_FILE'])
        expect(key in env).toBe(true)
      expect(env.SITES_FILE).toBeUndefined()
      const inherited = { METADATA_URL: 'postgres://elsewhere/x', SITES_FILE: 'sites.json' }
      const merged = childEnv({ ...inherited, ...env })
      expect(merged.SITES_FILE).toBeUndefined()
      expect(merged.METADATA_URL).toBe(url.startsWith('postgres') ? url : undefined)
    }
  })

  it('is a token of its own, derived from the signing key', () => {
    expect(bridgeSitesToken(state)).not.toBe(edgeSitesToken(state))
    expect(bridgeSitesToken(state)).toBe(bridgeSitesToken({ signing: { ...state.signing } }))
    expect(bridgeSitesToken(state)).not.toBe(
      bridgeSitesToken({ signing: { key_id: 'k1', key: `${state.signing.key}x` } }),
    )
  })

  it('keeps the rest of the receiver’s environment', () => {
    const config = loadBridgeConfig(childEnv(clusterBridgeEnv(bridge('pglite:sl-data/metadata'), state)))
    expect([...config.BRIDGE_ROLES]).toEqual(['receiver'])
    expect(config.BRIDGE_PORT).toBe(8791)
    expect(config.STREAM_DIR).toBe('sl-data/bridge-2')
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', '127.0.0.1:9093'])
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379')
    expect(config.REDIS_PREFIX).toBe('sl:abc:')
    expect(config.SIGNING_KEYS).toEqual({ k1: state.signing.key })
    expect(config.METRICS_TOKEN).toBe(state.metrics_token)
    // Its canaries carry its name, the same after a restart.
    expect(config.BRIDGE_ID).toBe('bridge-2')
    expect(pipelineConfig(config).receiver?.canary).toEqual({ intervalMs: 60_000, bridgeId: 'bridge-2' })
  })
})
