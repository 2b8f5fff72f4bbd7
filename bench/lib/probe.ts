import { type Agent, request } from 'node:http'
import { type EdgeBatch, validateBatch } from '@sightline/contracts'
import { createGenerator } from '@sightline/testing'
import type { PreparedBatch } from './batches.ts'
import { epochNow, post } from './load.ts'

export interface Probe {
  site: string
  batch: PreparedBatch
}

export interface ProbeResult {
  site: string
  warmup: boolean
  /** Epoch ms: the probe was sent, its 2xx arrived, and the first answer counting it arrived. */
  sentAt: number
  ackAt: number
  visibleAt?: number
  /** visible_at − 2xx_at; undefined when the probe never became visible within the timeout. */
  freshnessMs?: number
  /** Stats queries sent until the event was counted (the last one included). */
  polls: number
  /** Mean round trip of this probe's stats queries. */
  meanQueryMs: number
  /** Polls refused with 429 (the read key's concurrent-query cap): retried after pollMs, as a client would. */
  throttled: number
  status: number
}

/**
 * One single-event edge batch per probe, each for its own site (`<prefix><n>`), so "the probe
 * is visible" is simply `events ≥ 1` in that site's stats. Built like the background batches:
 * generated, validated and stamped by the edge's code, wrapped in the edge envelope.
 */
export function prepareProbes(prefix: string, count: number): Probe[] {
  const gen = createGenerator({ seed: `probe-${prefix}`, sites: ['probe_template'], visitors: 50 })
  const probes: Probe[] = []
  for (let i = 0; i < count; i++) {
    const site = `${prefix}${String(i).padStart(4, '0')}`
    const native = gen.batches(1, 1)[0]!
    const receivedAt = new Date().toISOString()
    const result = validateBatch(native, { siteId: site, receivedAt, ingestPath: 'native' })
    if (!result.ok || result.value.accepted.length !== 1) throw new Error(`invalid probe batch for ${site}`)
    const edge: EdgeBatch = {
      v: 1,
      batch_id: crypto.randomUUID(),
      site_id: site,
      received_at: receivedAt,
      events: result.value.accepted,
    }
    probes.push({ site, batch: { body: Buffer.from(JSON.stringify(edge)), events: 1, signature: '' } })
  }
  return probes
}

export interface ProbeTarget {
  bridgePort: number
  queryPort: number
  readKey: string
  /** The stats window; it must contain every probe event's timestamp. */
  from: Date
  to: Date
  pollMs: number
  timeoutMs: number
}

/** Sends one probe, then polls its site's stats every `pollMs` until the event is counted. */
export async function runProbe(
  probe: Probe,
  target: ProbeTarget,
  agents: { ingest: Agent; query: Agent },
  warmup: boolean,
): Promise<ProbeResult> {
  const sentAt = epochNow()
  const status = await post(agents.ingest, target.bridgePort, probe.batch).catch(() => 0)
  const ackAt = epochNow()
  const result: ProbeResult = {
    site: probe.site,
    warmup,
    sentAt,
    ackAt,
    polls: 0,
    meanQueryMs: 0,
    throttled: 0,
    status,
  }
  if (status < 200 || status >= 300) return result
  const path = `/v1/sites/${probe.site}/stats?include_bots=true&from=${encodeURIComponent(
    target.from.toISOString(),
  )}&to=${encodeURIComponent(target.to.toISOString())}`
  let queryMs = 0
  for (;;) {
    const pollStart = performance.now()
    const { status: qs, body } = await get(agents.query, target.queryPort, path, target.readKey)
    const now = epochNow()
    queryMs += performance.now() - pollStart
    result.polls++
    if (qs === 429) result.throttled++
    else if (qs !== 200) throw new Error(`stats for ${probe.site} answered ${qs}: ${body}`)
    if (qs === 200 && (JSON.parse(body) as { events: number }).events >= 1) {
      result.visibleAt = now
      result.freshnessMs = Math.round((now - ackAt) * 10) / 10
      break
    }
    if (now - ackAt > target.timeoutMs) break
    const wait = target.pollMs - (performance.now() - pollStart)
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
  }
  result.meanQueryMs = Math.round((queryMs / result.polls) * 10) / 10
  return result
}

function get(agent: Agent, port: number, path: string, readKey: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      { agent, host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${readKey}` } },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => {
          body += c
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end()
  })
}
