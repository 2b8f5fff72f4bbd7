// The front door's load generator: what real clients send, built per request from templates
// (unique ids every time, so nothing is deduplicated away), driven with a fixed number of
// keep-alive connections in flight for a fixed time. node:http, not fetch: the client shares
// the machine's two cores with the stack, and this costs it less CPU.
import { randomUUID } from 'node:crypto'
import { Agent, request } from 'node:http'

export type Kind = 'segment' | 'beacon' | 'pixel'

export interface Req {
  method: 'GET' | 'POST'
  path: string
  headers: Record<string, string | number>
  body?: Buffer
  events: number
}

const BROWSER_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
const SEGMENT_UA = 'analytics-node-next/latest'
const MARK = '@@ID@@'

/** A Segment analytics-node style event: what `analytics.track()` puts in a batch. */
function segmentEvent(i: number): object {
  return {
    type: i % 5 === 0 ? 'page' : 'track',
    ...(i % 5 === 0 ? { name: 'Pricing' } : { event: i % 2 ? 'Order Completed' : 'Product Viewed' }),
    messageId: MARK,
    anonymousId: `anon-${i % 997}`,
    ...(i % 3 === 0 ? { userId: `user-${i % 331}` } : {}),
    timestamp: '@@TS@@',
    properties: {
      order_id: `o-${i}`,
      revenue: (i % 100) + 0.99,
      currency: 'EUR',
      plan: 'pro',
      sku: `sku-${i % 50}`,
    },
    context: {
      library: { name: '@segment/analytics-node', version: '2.2.0' },
      page: { url: 'https://shop.example.com/pricing', path: '/pricing', title: 'Pricing' },
      userAgent: BROWSER_UA,
      locale: 'en-US',
    },
    integrations: {},
    _metadata: { jsRuntime: 'node' },
  }
}

/** Splits a JSON template at its id markers once; each request joins the parts with fresh ids. */
function template(text: string): { parts: string[]; ts: string } {
  return { parts: text.split(MARK), ts: '' }
}

export function requestFactory(kind: Kind, writeKey: string, batchSize: number): () => Req {
  const prefix = randomUUID().slice(0, 8)
  let n = 0
  const nextId = () => `${prefix}-${(n++).toString(36)}`
  if (kind === 'segment') {
    const text = JSON.stringify({
      batch: Array.from({ length: batchSize }, (_, i) => segmentEvent(i)),
      sentAt: '@@TS@@',
      writeKey: undefined,
    })
    const { parts } = template(text)
    const auth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`
    return () => {
      const ts = new Date().toISOString()
      let body = parts[0]!
      for (let i = 1; i < parts.length; i++) body += nextId() + parts[i]
      const bytes = Buffer.from(body.replaceAll('@@TS@@', ts))
      return {
        method: 'POST',
        path: '/v1/batch',
        headers: {
          'content-type': 'application/json',
          'content-length': bytes.byteLength,
          authorization: auth,
          'user-agent': SEGMENT_UA,
        },
        body: bytes,
        events: batchSize,
      }
    }
  }
  if (kind === 'beacon') {
    // What the browser tracker's sendBeacon sends: one native page event, key in the URL.
    const text = JSON.stringify({
      type: 'page',
      message_id: MARK,
      anonymous_id: MARK,
      timestamp: '@@TS@@',
      sent_at: '@@TS@@',
      context: {
        page: {
          url: 'https://blog.example.com/post/42?utm_source=news',
          path: '/post/42',
          referrer: 'https://news.example.org/',
          title: 'Post 42',
        },
        screen: { width: 1920, height: 1080 },
        locale: 'en-US',
        timezone: 'Europe/Berlin',
        library: { name: '@sightline/sdk-browser', version: '0.1.0' },
      },
    })
    const { parts } = template(text)
    const path = `/v1/b?k=${encodeURIComponent(writeKey)}`
    return () => {
      const ts = new Date().toISOString()
      const id = nextId()
      const bytes = Buffer.from(`${parts[0]! + id + parts[1]!}v-${id}${parts[2]!}`.replaceAll('@@TS@@', ts))
      return {
        method: 'POST',
        path,
        headers: {
          'content-type': 'text/plain;charset=UTF-8',
          'content-length': bytes.byteLength,
          'user-agent': BROWSER_UA,
          origin: 'https://blog.example.com',
          'accept-language': 'en-US,en;q=0.9',
        },
        body: bytes,
        events: 1,
      }
    }
  }
  const base = `/v1/p.gif?k=${encodeURIComponent(writeKey)}&u=${encodeURIComponent('https://mail.example.com/newsletter/7')}&ti=Newsletter`
  return () => {
    const id = nextId()
    return {
      method: 'GET',
      path: `${base}&a=v-${id}&m=${id}`,
      headers: { 'user-agent': BROWSER_UA, referer: 'https://mail.example.com/' },
      events: 1,
    }
  }
}

export interface PhaseLoad {
  elapsedMs: number
  requests: number
  events: number
  failures: number
  statuses: Record<string, number>
  latencyMs: { p50: number; p99: number }
  clientCpuMs: number
}

/** `concurrency` clients send back to back for `durationMs`; counts only 2xx answers. */
export async function drivePhase(
  port: number,
  next: () => Req,
  concurrency: number,
  durationMs: number,
): Promise<PhaseLoad> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency })
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  let requests = 0
  let events = 0
  let failures = 0
  const cpu0 = process.cpuUsage()
  const started = performance.now()
  const deadline = started + durationMs
  let lastAck = started
  async function client(): Promise<void> {
    while (performance.now() < deadline) {
      const r = next()
      const t0 = performance.now()
      const status = await send(agent, port, r).catch(() => 0)
      statuses[status] = (statuses[status] ?? 0) + 1
      if (status >= 200 && status < 300) {
        requests += 1
        events += r.events
        lastAck = performance.now()
        latencies.push(lastAck - t0)
      } else {
        failures += 1
        await new Promise((res) => setTimeout(res, 20))
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, client))
  agent.destroy()
  const cpu = process.cpuUsage(cpu0)
  latencies.sort((a, b) => a - b)
  const at = (q: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0)
  return {
    elapsedMs: Math.round(lastAck - started),
    requests,
    events,
    failures,
    statuses,
    latencyMs: { p50: at(0.5), p99: at(0.99) },
    clientCpuMs: Math.round((cpu.user + cpu.system) / 1000),
  }
}

/** One request on `agent`; resolves with the status (rejects on a network error). */
export function send(agent: Agent, port: number, r: Req): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: '127.0.0.1', port, method: r.method, path: r.path, headers: r.headers },
      (res) => {
        res.on('data', () => {})
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(r.body)
  })
}

const round = (ms: number): number => Math.round(ms * 100) / 100
