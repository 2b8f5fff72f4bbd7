import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { SiteSchema, siteSettingsIndex } from '@sightline/metadata'
import { connectRedis, deleteMatching, prefixPattern } from '@sightline/state'
import { machineRedisUrl, redisRequired, uniquePrefix } from '@sightline/state/testing'
import { type TempDir, tempDir } from '@sightline/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { composePipeline, type Pipeline } from '../src/index.ts'
import { edgeBatch, SIGNING_KEYS, signedRequest } from './edge-batches.ts'

// Two receiver-only bridges, composed as main.ts composes them with REDIS_URL set, sharing
// the machine's Redis under a prefix of their own: the site's limit is one, whichever
// bridge the edge picks (ADR 0032).
async function machineRedis(): Promise<Awaited<ReturnType<typeof connectRedis>> | undefined> {
  try {
    return await connectRedis(machineRedisUrl, { redis: { retryStrategy: () => null } })
  } catch {
    return undefined
  }
}
const redis = await machineRedis()
const MINUTE = 60_000

describe.skipIf(!redisRequired && !redis)(
  `per-site quota across bridges on one Redis (${machineRedisUrl})`,
  () => {
    const prefix = uniquePrefix('bridge-quota')
    let dir: TempDir
    const bridges: Pipeline[] = []
    const urls: string[] = []

    beforeAll(async () => {
      dir = await tempDir('bridge-quota-redis-')
      const sites = siteSettingsIndex([
        SiteSchema.parse({ site_id: 'shared', write_keys: ['wk_shared'], events_per_minute: 500 }),
        SiteSchema.parse({ site_id: 'free', write_keys: ['wk_free'] }),
      ])
      for (const name of ['bridge-1', 'bridge-2']) {
        const pipeline = await composePipeline({
          stream: { kind: 'segment-log', dir: join(dir.path, name), fsync: false },
          quotaCounters: { kind: 'redis', url: machineRedisUrl, prefix },
          sites,
          receiver: { host: '127.0.0.1', port: 0, signingKeys: SIGNING_KEYS },
        })
        bridges.push(pipeline)
        urls.push(`http://127.0.0.1:${(pipeline.bridge!.address() as AddressInfo).port}`)
      }
    })
    afterAll(async () => {
      for (const b of bridges) await b.stop()
      if (redis) await deleteMatching(redis, prefixPattern(prefix))
      redis?.disconnect()
      await dir?.cleanup()
    })

    let n = 0
    async function send(bridge: number, site: string, events: number): Promise<Response> {
      const ids = Array.from({ length: events }, () => `r-${++n}`)
      return fetch(`${urls[bridge]}/v1/ingest`, await signedRequest(JSON.stringify(edgeBatch(ids, site))))
    }

    it('counts every bridge’s batches against the one limit, and refuses on either once it is used up', async () => {
      // Real clock: start early in a minute window, so the sliding estimate stays put meanwhile.
      const into = Date.now() % MINUTE
      if (into > 40_000) await new Promise((r) => setTimeout(r, MINUTE - into + 500))
      expect((await send(0, 'shared', 300)).status).toBe(200)
      const refused = await send(1, 'shared', 300)
      expect(refused.status).toBe(429)
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('site_quota_exceeded')
      // What is left fits on the other bridge; then neither takes one more event.
      expect((await send(1, 'shared', 200)).status).toBe(200)
      expect((await send(0, 'shared', 1)).status).toBe(429)
      expect((await send(1, 'shared', 1)).status).toBe(429)
      // Another site is not affected by the first one's quota.
      expect((await send(0, 'free', 500)).status).toBe(200)
      expect((await send(1, 'free', 500)).status).toBe(200)
      const refusedOn = bridges.map((b) =>
        b.counters.get('sightline_bridge_refused_events_total', {
          site: 'shared',
          reason: 'site_quota_exceeded',
        }),
      )
      expect(refusedOn).toEqual([1, 301])
      expect(bridges.map((b) => b.counters.total('sightline_bridge_quota_degraded_events_total'))).toEqual([
        0, 0,
      ])
    }, 90_000)
  },
)
