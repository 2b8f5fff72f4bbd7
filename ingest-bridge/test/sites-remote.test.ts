import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DEFAULT_RETENTION_DAYS } from '@sightline/metadata'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { followRemoteSites, type RemoteSites } from '../src/sites-remote.ts'

/**
 * The follower against a hub-like HTTP server in this process: a bearer token, a versioned
 * view with an ETag, 304 for an unchanged one, and a switch that makes it fail.
 */
const TOKEN = 'bridge-token-for-remote-tests-0'
const hub = {
  version: 1,
  sites: [] as unknown[],
  failWith: 0,
  requests: 0,
  notModified: 0,
}
let server: Server
let url: string
const followers: RemoteSites[] = []

const site = (site_id: string, over: Record<string, unknown> = {}) => ({
  site_id,
  retention_days: 30,
  privacy: { keep_ip: false, cookieless: false },
  events_per_minute: 0,
  ...over,
})

beforeAll(async () => {
  server = createServer((req, res) => {
    hub.requests++
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end('{}')
      return
    }
    if (hub.failWith) {
      res.writeHead(hub.failWith).end('{}')
      return
    }
    const etag = `"${hub.version}"`
    if (req.headers['if-none-match'] === etag) {
      hub.notModified++
      res.writeHead(304, { etag }).end()
      return
    }
    res
      .writeHead(200, { 'content-type': 'application/json', etag })
      .end(JSON.stringify({ version: hub.version, sites: hub.sites }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/v1/bridge/sites`
})
afterEach(() => {
  for (const f of followers.splice(0)) f.stop()
  hub.failWith = 0
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

async function follow(options: { pollMs?: number; onError?: (err: unknown) => void } = {}) {
  const f = await followRemoteSites({ url, token: TOKEN, pollMs: options.pollMs ?? 60_000, ...options })
  followers.push(f)
  return f
}

describe('following the hub’s bridge view', () => {
  it('answers from the view it fetched at start, defaults for a site it does not list', async () => {
    hub.version = 7
    hub.sites = [site('shop', { events_per_minute: 6000, privacy: { keep_ip: true, cookieless: false } })]
    const f = await follow()
    expect(f.version()).toBe(7)
    expect(f.settings.eventsPerMinute('shop')).toBe(6000)
    expect(f.settings.keepIp('shop')).toBe(true)
    expect(f.settings.retentionDays('shop')).toBe(30)
    expect(f.settings.eventsPerMinute('other')).toBeUndefined()
    expect(f.settings.keepIp('other')).toBe(false)
    expect(f.settings.retentionDays('other')).toBe(DEFAULT_RETENTION_DAYS)
  })

  it('does not start without the view: a bridge must not run as if no site had a quota', async () => {
    await expect(
      followRemoteSites({ url, token: 'not-the-bridge-token-0000', pollMs: 60_000 }),
    ).rejects.toThrow(/answered HTTP 401/)
    hub.failWith = 503
    await expect(follow()).rejects.toThrow(/answered HTTP 503/)
  })

  it('asks conditionally: an unchanged view is a 304 and changes nothing, a new version applies', async () => {
    hub.version = 10
    hub.sites = [site('shop', { events_per_minute: 500 })]
    const f = await follow()
    const before = hub.notModified
    expect(await f.refresh()).toBe(false)
    expect(hub.notModified).toBe(before + 1)
    expect(f.settings.eventsPerMinute('shop')).toBe(500)

    hub.version = 11
    hub.sites = [site('shop', { events_per_minute: 0, retention_days: 90 })]
    expect(await f.refresh()).toBe(true)
    expect(f.version()).toBe(11)
    expect(f.settings.eventsPerMinute('shop')).toBe(0)
    expect(f.settings.retentionDays('shop')).toBe(90)
  })

  it('keeps the last view while the hub fails, and reports each failed poll', async () => {
    hub.version = 20
    hub.sites = [site('shop', { events_per_minute: 1000 })]
    const errors: unknown[] = []
    const f = await follow({ pollMs: 50, onError: (err) => errors.push(err) })
    hub.failWith = 500
    await expect.poll(() => errors.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2)
    expect(String(errors[0])).toMatch(/answered HTTP 500/)
    expect(f.settings.eventsPerMinute('shop')).toBe(1000)

    // Back, with a change: the next poll has it, no call needed.
    hub.version = 21
    hub.sites = [site('shop', { events_per_minute: 2000 })]
    hub.failWith = 0
    await expect.poll(() => f.settings.eventsPerMinute('shop'), { timeout: 5000 }).toBe(2000)
  })

  it('stops polling when stopped', async () => {
    const f = await follow({ pollMs: 50 })
    f.stop()
    const seen = hub.requests
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(hub.requests).toBe(seen)
  })
})
