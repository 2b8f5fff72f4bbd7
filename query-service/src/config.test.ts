import { describe, expect, it } from 'vitest'
import { loadConfig } from './config.ts'

describe('loadConfig', () => {
  it('defaults to an embedded warehouse', () => {
    expect(loadConfig({})).toEqual({
      port: 8790,
      warehouse: { mode: 'embedded', path: '.sightline/chdb', database: 'sightline' },
      readKeysFile: '.sightline/read-keys.json',
      logLevel: 'info',
      authThrottle: { burst: 20, refillS: 3 },
      keyConcurrency: { maxInFlight: 16, retryAfterS: 1 },
    })
  })

  it('builds an http warehouse config', () => {
    const config = loadConfig({
      WAREHOUSE_MODE: 'http',
      WAREHOUSE_URL: 'http://ch:8123',
      WAREHOUSE_USER: 'u',
    })
    expect(config.warehouse).toEqual({
      mode: 'http',
      url: 'http://ch:8123',
      database: 'sightline',
      username: 'u',
    })
  })

  it('passes read bounds to the warehouse', () => {
    const config = loadConfig({ QUERY_MAX_EXECUTION_TIME_S: '5', QUERY_MAX_RESULT_ROWS: '500' })
    expect(config.warehouse.reads).toEqual({ maxExecutionTimeS: 5, maxResultRows: 500 })
    expect(() => loadConfig({ QUERY_MAX_EXECUTION_TIME_S: '0' })).toThrow(/QUERY_MAX_EXECUTION_TIME_S/)
  })

  it('lists every bad variable at once', () => {
    expect(() => loadConfig({ QUERY_PORT: 'x', WAREHOUSE_MODE: 'http', WAREHOUSE_DATABASE: 'a-b' })).toThrow(
      /QUERY_PORT[\s\S]*WAREHOUSE_DATABASE/,
    )
    expect(() => loadConfig({ WAREHOUSE_MODE: 'http' })).toThrow(/WAREHOUSE_URL/)
  })

  it('reads the failed-key budget', () => {
    const config = loadConfig({ QUERY_AUTH_FAILURE_BURST: '5', QUERY_AUTH_FAILURE_REFILL_S: '60' })
    expect(config.authThrottle).toEqual({ burst: 5, refillS: 60 })
    expect(() => loadConfig({ QUERY_AUTH_FAILURE_BURST: '0' })).toThrow(/QUERY_AUTH_FAILURE_BURST/)
  })
})
