import { Agent, request } from 'node:http'
import { SIGNATURE_HEADER } from '@sightline/contracts'
import type { PreparedBatch } from './batches.ts'

export interface LoadResult {
  /** Epoch ms (performance.timeOrigin based) of the first request and the last 2xx. */
  firstSendAt: number
  lastAckAt: number
  events: number
  requests: number
  /** Non-2xx answers and transport errors; each such request was retried. */
  failures: number
  latencyMs: { p50: number; p99: number; max: number }
}

const MAX_ATTEMPTS = 5

export const epochNow = (): number => performance.timeOrigin + performance.now()

/**
 * Keep-alive HTTP/1.1 load with a fixed number of requests in flight. node:http rather than
 * fetch: it costs the client less CPU, and the client shares the machine's two cores with
 * the server under test. A request counts only once it was answered 2xx.
 */
export async function drive(
  port: number,
  batches: PreparedBatch[],
  concurrency: number,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency })
  const latencies: number[] = []
  let next = 0
  let failures = 0
  let lastAckAt = 0
  let events = 0
  const firstSendAt = epochNow()

  async function worker(): Promise<void> {
    for (;;) {
      const i = next++
      const batch = batches[i]
      if (batch === undefined) return
      for (let attempt = 1; ; attempt++) {
        const started = performance.now()
        const status = await post(agent, port, batch).catch(() => 0)
        if (status >= 200 && status < 300) {
          latencies.push(performance.now() - started)
          events += batch.events
          lastAckAt = epochNow()
          break
        }
        failures++
        if (attempt >= MAX_ATTEMPTS)
          throw new Error(`batch ${i} failed ${attempt} times (last status ${status})`)
        await new Promise((r) => setTimeout(r, 50 * attempt))
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: concurrency }, worker))
  } finally {
    agent.destroy()
  }
  latencies.sort((a, b) => a - b)
  const at = (q: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0)
  return {
    firstSendAt,
    lastAckAt,
    events,
    requests: batches.length,
    failures,
    latencyMs: { p50: at(0.5), p99: at(0.99), max: round(latencies.at(-1) ?? 0) },
  }
}

export function post(agent: Agent, port: number, batch: PreparedBatch): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/ingest',
        headers: {
          'content-type': 'application/json',
          'content-length': batch.body.byteLength,
          [SIGNATURE_HEADER]: batch.signature,
        },
      },
      (res) => {
        res.on('data', () => {})
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(batch.body)
  })
}

const round = (ms: number): number => Math.round(ms * 100) / 100
