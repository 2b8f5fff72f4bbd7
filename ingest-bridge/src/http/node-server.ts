import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { REQUEST_ID_HEADER } from '@sightline/http'
import { tooLargeBody } from './too-large.ts'

/**
 * Limits every Node listener of Sightline gets. The timeouts match the edge's: a client
 * that trickles its headers (or its body) holds a socket and a file descriptor, and the
 * embedded hub's listeners share one process's descriptors.
 */
export interface ListenerLimits {
  /** Declared bodies over this are refused before a byte is read. */
  maxBodyBytes: number
  /** Whole header block within this (Node's default is 60 s). */
  headersTimeoutMs?: number
  /** Whole request, body included, within this (Node's default is 300 s). */
  requestTimeoutMs?: number
  keepAliveTimeoutMs?: number
  /** Open connections at once; more are refused by the kernel's backlog, not served slowly. */
  maxConnections?: number
}

export const DEFAULT_LIMITS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 2_048,
} as const

export interface ServeOptions {
  fetch: (request: Request, env: never) => Response | Promise<Response>
  hostname: string
  port: number
  limits: ListenerLimits
}

/** An HTTP listener for a Hono app's fetch, with the limits above. Resolves once it listens. */
export function serveNode(options: ServeOptions): Promise<Server> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits }
  const listener = getRequestListener(options.fetch as Parameters<typeof getRequestListener>[0])
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often Node looks for requests over their timeout (default 30 s: too coarse for 10 s).
      connectionsCheckingInterval: 1_000,
    },
    (req, res) => {
      if (declaredTooLarge(req, limits.maxBodyBytes)) refuseTooLarge(res, limits.maxBodyBytes)
      else void listener(req, res)
    },
  )
  server.maxConnections = limits.maxConnections
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.hostname, () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}

function declaredTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  const declared = req.headers['content-length']
  return declared !== undefined && Number(declared) > maxBytes
}

function refuseTooLarge(res: ServerResponse, maxBytes: number): void {
  const { body, requestId } = tooLargeBody(maxBytes)
  // Connection: close, so Node drops the socket instead of reading the body to reuse it.
  res
    .writeHead(413, {
      'content-type': 'application/json; charset=utf-8',
      [REQUEST_ID_HEADER]: requestId,
      connection: 'close',
    })
    .end(body)
}

/**
 * Stops accepting and resolves once in-flight requests are answered; connections still
 * open after `graceMs` (a client trickling a request) are cut.
 */
export function closeListener(server: Server, graceMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs)
    force.unref()
    server.close(() => {
      clearTimeout(force)
      resolve()
    })
    server.closeIdleConnections()
  })
}
