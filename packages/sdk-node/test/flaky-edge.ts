import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'

export interface ProxiedRequest {
  at: number
  method: string
  path: string
  /** What the proxy answered: the edge's status, or the injected failure. */
  status: number
  /** As text; gzip bodies are inflated first (`gzip` says they came compressed). */
  body: string
  gzip: boolean
}

export interface FlakyEdge {
  url: string
  log: ProxiedRequest[]
  /** The next `count` POSTs get `status` (with `Retry-After` when given) instead of reaching the edge. */
  failNext(count: number, status: number, retryAfterSeconds?: number): void
  close(): Promise<void>
}

/**
 * A reverse proxy in front of a real edge that can fail requests on demand, the way an edge
 * with no healthy bridge (503) or a rate limit (429) answers, error contract and CORS headers
 * included, so browsers let the SDK read the status and Retry-After. Everything else passes
 * through to the edge unchanged.
 */
export async function startFlakyEdge(edgeUrl: string): Promise<FlakyEdge> {
  const edge = new URL(edgeUrl)
  const log: ProxiedRequest[] = []
  let failures: { status: number; retryAfter?: number }[] = []
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = []
    incoming.on('data', (c: Buffer) => chunks.push(c))
    incoming.on('end', () => {
      const body = Buffer.concat(chunks)
      const gzip = incoming.headers['content-encoding'] === 'gzip'
      const entry: ProxiedRequest = {
        at: Date.now(),
        method: incoming.method ?? '',
        path: incoming.url ?? '',
        status: 0,
        body: (gzip ? gunzipSync(body) : body).toString('utf8'),
        gzip,
      }
      log.push(entry)
      const origin = incoming.headers.origin
      const failure = incoming.method === 'POST' ? failures.shift() : undefined
      if (failure) {
        entry.status = failure.status
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        if (failure.retryAfter !== undefined) headers['retry-after'] = String(failure.retryAfter)
        if (origin) {
          headers['access-control-allow-origin'] = origin
          headers['access-control-allow-credentials'] = 'true'
          headers['access-control-expose-headers'] = 'X-Request-Id, Retry-After'
        }
        const code = failure.status === 429 ? 'rate_limited' : 'no_bridge_available'
        outgoing.writeHead(failure.status, headers).end(
          JSON.stringify({
            error: { code, message: 'injected by the test proxy', docs: '', request_id: 'proxy' },
          }),
        )
        return
      }
      const upstream = request(
        {
          host: edge.hostname,
          port: edge.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: edge.host },
        },
        (answer) => {
          entry.status = answer.statusCode ?? 502
          outgoing.writeHead(entry.status, answer.headers)
          answer.pipe(outgoing)
        },
      )
      upstream.on('error', () => {
        entry.status = 502
        outgoing.writeHead(502).end()
      })
      upstream.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    failNext(count, status, retryAfterSeconds) {
      failures = Array.from({ length: count }, () =>
        retryAfterSeconds === undefined ? { status } : { status, retryAfter: retryAfterSeconds },
      )
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
