import { randomUUID } from 'node:crypto'
import { type EdgeBatch, SIGNATURE_HEADER, signBody, validateBatch } from '@sightline/contracts'
import { createGenerator } from '@sightline/testing'

export { SIGNATURE_HEADER }

export interface PreparedBatch {
  body: Buffer
  events: number
  /** Filled by `signAll` right before a run: signatures expire after 5 minutes. */
  signature: string
}

/**
 * Edge batches exactly as the edge would forward them: generated native batches, validated
 * and stamped by the same code the edge runs, wrapped in the edge→bridge envelope. Built
 * once, before anything is timed.
 */
export function prepareBatches(seed: string, totalEvents: number, batchSize: number): PreparedBatch[] {
  const sites = ['demo.example', 'shop.example', 'blog.example']
  const gen = createGenerator({ seed, sites, visitors: 5000 })
  const out: PreparedBatch[] = []
  for (const native of gen.batches(totalEvents, batchSize)) {
    const siteId = gen.siteOf(native)
    const receivedAt = new Date().toISOString()
    const result = validateBatch(native, { siteId, receivedAt, ingestPath: 'native' })
    if (!result.ok) throw new Error(`generator produced an invalid batch: ${result.message}`)
    if (result.value.rejected.length > 0) {
      throw new Error(`generator produced invalid events: ${JSON.stringify(result.value.rejected[0])}`)
    }
    const edge: EdgeBatch = {
      v: 1,
      batch_id: randomUUID(),
      site_id: siteId,
      received_at: receivedAt,
      events: result.value.accepted,
    }
    out.push({ body: Buffer.from(JSON.stringify(edge)), events: edge.events.length, signature: '' })
  }
  return out
}

export async function signAll(batches: PreparedBatch[], keyId: string, secret: string): Promise<void> {
  const now = Date.now()
  for (const b of batches) b.signature = await signBody(b.body, keyId, secret, now)
}

export const countEvents = (batches: PreparedBatch[]): number => batches.reduce((n, b) => n + b.events, 0)
export const countBytes = (batches: PreparedBatch[]): number =>
  batches.reduce((n, b) => n + b.body.byteLength, 0)
