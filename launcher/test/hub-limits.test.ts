import { statSync } from 'node:fs'
import { join } from 'node:path'
import { errorContractProblems } from '@sightline/http'
import { type TempDir, tempDir } from '@sightline/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chunkedFlood, slowHeaders } from '../../ingest-bridge/test/attack-helpers.ts'
import { startHub } from '../src/hub.ts'

// The embedded hub in this process (bridge + writer + query over chdb), attacked on both
// of its listeners with the hub's real limits.
let dir: TempDir
let hub: Awaited<ReturnType<typeof startHub>>

beforeAll(async () => {
  dir = await tempDir('sightline-hub-limits-')
  hub = await startHub({
    dataDir: join(dir.path, 'data'),
    bridgePort: 0,
    queryPort: 0,
    logLevel: 'silent',
    geoDatabases: [],
  })
}, 120_000)
afterAll(async () => {
  await hub?.stop()
  await dir?.cleanup()
})

const portOf = (url: string) => Number(new URL(url).port)

describe('embedded hub under attack', () => {
  it('refuses a 300 MB chunked POST to the query service after reading at most 64 KB', async () => {
    const res = await chunkedFlood(`${hub.urls.query}/v1/sites/demo/stats`, 300 * 1024 * 1024)
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'payload_too_large' })
    expect(errorContractProblems(res.status, res.headers, res.body)).toEqual([])
    expect(res.sentBytes).toBeLessThan(16 * 1024 * 1024)
    const declared = await chunkedFlood(`${hub.urls.query}/v1/sites/demo/stats`, 1024 * 1024, {
      'content-length': String(300 * 1024 * 1024),
    })
    expect(declared.status).toBe(413)
  })

  it('cuts slow-header clients of the bridge and the query service within ~10 s (was ~82 s)', async () => {
    const [bridge, query] = await Promise.all([
      slowHeaders(portOf(hub.urls.bridge!), 500, 30_000),
      slowHeaders(portOf(hub.urls.query), 500, 30_000),
    ])
    for (const heldMs of [bridge, query]) expect(heldMs).toBeLessThan(13_000)
  }, 40_000)

  it('keeps its data directory private: 0700, secrets 0600', () => {
    const data = join(dir.path, 'data')
    expect(statSync(data).mode & 0o777).toBe(0o700)
    expect(statSync(join(data, 'sightline.json')).mode & 0o777).toBe(0o600)
  })
})
