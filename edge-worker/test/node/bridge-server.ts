import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type EdgeBatch, errorBody, SIGNATURE_HEADER, verifyBody } from '@sightline/contracts'
import type { TestProject } from 'vitest/node'
import {
  type BridgeMode,
  QUOTA_MESSAGE,
  QUOTA_RETRY_AFTER_S,
  type RecordedAttempt,
  SLOW_BRIDGE_MS,
  TEST_SIGNING,
} from '../support/constants.ts'

declare module 'vitest' {
  interface ProvidedContext {
    bridgePort: number
  }
}

async function readAll(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return new Uint8Array(Buffer.concat(chunks))
}

function json(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value))
}

/**
 * A stand-in ingest bridge: a real HTTP server that verifies the edge's HMAC signature
 * exactly as the real receiver does (contracts' verifyBody), records what it got, and
 * answers per the mode in its URL.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = new Map<string, RecordedAttempt[]>()
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://bridge')
    const logMatch = /^\/__log\/([\w-]+)$/.exec(url.pathname)
    if (req.method === 'GET' && logMatch) return json(res, 200, log.get(logMatch[1]!) ?? [])
    const match = /^\/b\/([\w-]+)\/(ok|fail|timeout|reject|slow|quota)\/v1\/ingest$/.exec(url.pathname)
    if (req.method !== 'POST' || !match) return json(res, 404, { error: 'not found' })
    const [, namespace, mode] = match as unknown as [string, string, BridgeMode]
    const body = await readAll(req)
    const header = req.headers[SIGNATURE_HEADER]
    const check = await verifyBody(typeof header === 'string' ? header : undefined, body, {
      [TEST_SIGNING.keyId]: TEST_SIGNING.secret,
    })
    const attempt: RecordedAttempt = {
      mode,
      verified: check.ok,
      headers: {
        'content-type': req.headers['content-type'],
        'x-sightline-batch-id': req.headers['x-sightline-batch-id'] as string | undefined,
      },
    }
    if (!check.ok) attempt.verifyMessage = check.message
    try {
      attempt.batch = JSON.parse(new TextDecoder().decode(body)) as EdgeBatch
    } catch {}
    const entries = log.get(namespace) ?? []
    entries.push(attempt)
    log.set(namespace, entries)
    if (!check.ok) return json(res, 401, { error: { code: check.code, message: check.message } })
    if (mode === 'fail') return json(res, 500, { error: { code: 'internal' } })
    if (mode === 'reject') return json(res, 401, { error: { code: 'invalid_signature' } })
    if (mode === 'timeout') return // never answers; the edge's per-attempt timeout must fire
    if (mode === 'quota') {
      // As the real receiver answers a site over its events_per_minute (errorBody's shape).
      const requestId = String(req.headers['x-request-id'] ?? 'unknown')
      return json(res, 429, errorBody('site_quota_exceeded', QUOTA_MESSAGE, requestId), {
        'retry-after': String(QUOTA_RETRY_AFTER_S),
        'x-request-id': requestId,
      })
    }
    if (mode === 'slow') await new Promise((resolve) => setTimeout(resolve, SLOW_BRIDGE_MS))
    return json(res, 200, { ok: true })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  project.provide('bridgePort', (server.address() as AddressInfo).port)
  return async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
