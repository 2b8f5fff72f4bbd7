// Loads the demo site's generated traffic through the real ingest path: the edge's own code
// (validation, clock correction, enrichment, bot verdict: edge-worker/src/app.ts) run in this
// process, forwarding each batch to the running bridge (signature check, geo, stream), whose
// writer deduplicates and stores it. Only the edge's clock is moved: each request is handled
// "at" its historical time, because a live edge clamps anything older than the 7-day skew
// window to now. The bridge checks signatures against its real clock, so each forwarded
// batch is signed again at the real time, with the install's own key (ADR 0024).
//
// The visits of each hour travel as one request, relayed as a server SDK relays its users'
// events (the visitor's User-Agent and IP in `context`, which the edge reads for relayed
// events): one request per visit made the bridge's per-batch fsync the pace (~20 a second,
// 7 minutes for 30 days); per hour it is ~750 requests.
import { AsyncLocalStorage } from 'node:async_hooks'
import { SIGNATURE_HEADER, signBody } from '@sightline/contracts'
import { type EdgeSite, edgeView, type Site } from '@sightline/metadata'
import { createApp } from '../../../edge-worker/src/app.ts'
import { createEnricher } from '../../../edge-worker/src/enrich.ts'
import { staticSites } from '../../../edge-worker/src/sites.ts'
import type { DemoRequest } from './traffic.ts'

/** The loader's own User-Agent: a server library, so the edge treats its events as relayed. */
export const DEMO_LOADER_UA = 'sightline-node/demo-loader'
const MAX_EVENTS = 200
const HOUR = 3_600_000

export interface RelayRequest {
  at: number
  body: { batch: unknown[]; sent_at: string }
}

/**
 * Packs the visits' requests into one relayed request per hour (at most MAX_EVENTS events),
 * handled at the end of its last visit; sent_at is that moment, so every event keeps its time.
 */
export function relayRequests(requests: readonly DemoRequest[]): RelayRequest[] {
  const out: RelayRequest[] = []
  let current: { hour: number; at: number; batch: unknown[] } | undefined
  const flush = () => {
    if (current)
      out.push({
        at: current.at,
        body: { batch: current.batch, sent_at: new Date(current.at).toISOString() },
      })
    current = undefined
  }
  for (const request of requests) {
    const hour = Math.floor(request.at / HOUR)
    if (current && (current.hour !== hour || current.batch.length + request.body.batch.length > MAX_EVENTS))
      flush()
    current ??= { hour, at: request.at, batch: [] }
    current.at = Math.max(current.at, request.at)
    const ip = request.headers['x-demo-client-ip']
    for (const event of request.body.batch as Array<{ context?: Record<string, unknown> }>) {
      current.batch.push({
        ...event,
        context: { ...event.context, userAgent: request.headers['user-agent'], ...(ip ? { ip } : {}) },
      })
    }
  }
  flush()
  return out
}

export interface DemoLoadResult {
  requests: number
  accepted: number
  rejected: number
  /** Requests no bridge took after the retries (the load goes on; the next start retries). */
  failed: number
}

export interface DemoLoadOptions {
  site: Site | EdgeSite
  bridgeUrl: string
  signing: { keyId: string; secret: string }
  requests: readonly DemoRequest[]
  /** Requests in flight at once: enough to keep the writer busy, few enough not to starve the hub. */
  concurrency?: number
  onProgress?: (done: number, total: number) => void
}

export async function loadDemoRequests(options: DemoLoadOptions): Promise<DemoLoadResult> {
  const clock = new AsyncLocalStorage<number>()
  const site = edgeView(options.site)
  const writeKey = site.write_keys[0]
  if (!writeKey) throw new Error(`site ${site.site_id} has no write key`)
  const app = createApp({
    sites: staticSites([site]),
    bridges: [{ url: options.bridgeUrl, region: 'local', priority: 1 }],
    signing: options.signing,
    now: () => clock.getStore() ?? Date.now(),
    fetch: async (input, init) => {
      // Re-signed now: the edge signed at the request's historical time.
      const body = String(init?.body ?? '')
      const headers = new Headers(init?.headers)
      headers.set(
        SIGNATURE_HEADER,
        await signBody(body, options.signing.keyId, options.signing.secret, Date.now()),
      )
      const { signal: _edgeTimer, ...rest } = init ?? {}
      return fetch(input, { ...rest, headers, body })
    },
    // The bridge's writer and the warehouse set the pace; 30 s is far past any healthy answer.
    attemptTimeoutMs: 30_000,
    // Relayed events carry their visitor's IP in context; the loader itself has none.
    enrich: createEnricher({
      trustCfGeo: false,
      clientIp: () => undefined,
      visitorSecret: `visitor-salt:${options.signing.secret}`,
    }),
  })
  const requests = relayRequests(options.requests)
  const result: DemoLoadResult = { requests: requests.length, accepted: 0, rejected: 0, failed: 0 }
  let next = 0
  let done = 0
  const send = async (request: RelayRequest) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await clock.run(request.at, () =>
        app.request('/v1/batch', {
          method: 'POST',
          headers: {
            'user-agent': DEMO_LOADER_UA,
            'content-type': 'application/json',
            authorization: `Basic ${btoa(`${writeKey}:`)}`,
          },
          body: JSON.stringify(request.body),
        }),
      )
      const answer = (await response.json().catch(() => ({}))) as { accepted?: number; rejected?: unknown[] }
      // 4xx: every event refused (the malformed ones): counted, not retried.
      if (response.ok || (response.status >= 400 && response.status < 500)) {
        result.accepted += answer.accepted ?? 0
        result.rejected += Array.isArray(answer.rejected) ? answer.rejected.length : 0
        return
      }
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)))
    }
    result.failed++
  }
  const worker = async () => {
    while (next < requests.length) {
      await send(requests[next++]!)
      done++
      if (done % 25 === 0 || done === requests.length) options.onProgress?.(done, requests.length)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker))
  return result
}
