import { describe, expect, it } from 'vitest'
import { loadBridgeConfig, pipelineConfig } from '../src/config.ts'

const base = { STREAM_DIR: '/tmp/stream', SIGNING_KEYS: '{"k1":"test-signing-secret-0123456789"}' }

describe('standalone bridge configuration', () => {
  it('counts the quota in Redis with REDIS_URL (one limit across bridges), in memory without', () => {
    const shared = pipelineConfig(
      loadBridgeConfig({
        ...base,
        BRIDGE_ROLES: 'receiver',
        REDIS_URL: 'redis://r:6379',
        REDIS_PREFIX: 'x:',
      }),
    )
    expect(shared.quotaCounters).toEqual({ kind: 'redis', url: 'redis://r:6379', prefix: 'x:' })
    expect(pipelineConfig(loadBridgeConfig({ ...base, BRIDGE_ROLES: 'receiver' })).quotaCounters).toEqual({
      kind: 'memory',
    })
  })

  it('sends a canary a minute by default, under BRIDGE_ID when given; CANARY_INTERVAL_MS=0 sends none', () => {
    const receiver = (env: Record<string, string>) =>
      pipelineConfig(loadBridgeConfig({ ...base, BRIDGE_ROLES: 'receiver', ...env })).receiver
    expect(receiver({})?.canary).toEqual({ intervalMs: 60_000 })
    expect(receiver({ BRIDGE_ID: 'eu-1', CANARY_INTERVAL_MS: '5000' })?.canary).toEqual({
      intervalMs: 5000,
      bridgeId: 'eu-1',
    })
    expect(receiver({ CANARY_INTERVAL_MS: '0' })?.canary).toEqual({ intervalMs: 0 })
    expect(() => receiver({ CANARY_INTERVAL_MS: '-1' })).toThrow(/CANARY_INTERVAL_MS/)
  })

  it('follows the hub’s bridge view with SITES_URL, only together with its token', () => {
    expect(() =>
      loadBridgeConfig({
        ...base,
        BRIDGE_ROLES: 'receiver',
        SITES_URL: 'http://127.0.0.1:1/admin/v1/bridge/sites',
      }),
    ).toThrow(/SITES_TOKEN is required with SITES_URL/)
    expect(() =>
      loadBridgeConfig({
        ...base,
        BRIDGE_ROLES: 'receiver',
        SITES_URL: 'not a url',
        SITES_TOKEN: 'x'.repeat(16),
      }),
    ).toThrow(/SITES_URL/)
    const config = loadBridgeConfig({
      ...base,
      BRIDGE_ROLES: 'receiver',
      SITES_URL: 'http://127.0.0.1:1/admin/v1/bridge/sites',
      SITES_TOKEN: 'x'.repeat(16),
    })
    expect(config.SITES_URL).toBe('http://127.0.0.1:1/admin/v1/bridge/sites')
  })
})
