import { randomBytes } from 'node:crypto'
import type { EnrichedEvent } from '@sightline/contracts'
import { toEventRow, type Warehouse } from '@sightline/warehouse'
import type { App } from '../src/app.ts'
import { KEY_A, post } from './support.ts'

/**
 * The other tenant's rows for the SQL hatch suites: site_b gets 25 events whose person ids,
 * message ids and properties carry a secret minted per run. No query in the suites can
 * contain it, so finding it in an answer to site_a's key can only mean site_b rows leaked.
 */
export const SECRET = `sb${randomBytes(8).toString('hex')}`
export const SITE_B_ROWS = 25
/** site_a's rows in the shared fixture (see fixture.ts). */
export const SITE_A_ROWS = 10

export async function seedOtherSite(warehouse: Warehouse): Promise<void> {
  const rows = Array.from({ length: SITE_B_ROWS }, (_, i) => {
    const ts = new Date(Date.UTC(2024, 0, 1 + (i % 3), 10, i)).toISOString()
    const event: EnrichedEvent = {
      type: 'track',
      event: i % 2 === 0 ? '$pageview' : `secret_${SECRET}`,
      message_id: `${SECRET}-m${i}`,
      anonymous_id: `${SECRET}-anon${i}`,
      user_id: `${SECRET}-user${i}`,
      timestamp: ts,
      received_at: ts,
      ts,
      clock_skewed: false,
      site_id: 'site_b',
      properties: { secret: SECRET, plan: 'pro', n: i },
      traits: { email: `${SECRET}@b.example` },
      context: { page: { url: `https://b.example/${SECRET}`, path: `/${SECRET}` } },
      ingest_path: 'native',
      bot: { is_bot: false, score: 0, reasons: [] },
    }
    return toEventRow(event, { retentionDays: 10_000 })
  })
  await warehouse.insert('events', rows, { dedupToken: `site-b-${SECRET}` })
}

export interface SqlAnswer {
  status: number
  body: string
  ms: number
}

export async function sql(app: App, query: string, key = KEY_A, site = 'site_a'): Promise<SqlAnswer> {
  const started = performance.now()
  const res = await post(app, `/v1/sites/${encodeURIComponent(site)}/sql`, key, { sql: query })
  const body = await res.text()
  return { status: res.status, body, ms: performance.now() - started }
}

/** What every answer to a hostile query must satisfy, as one comparable value for a readable diff. */
export function verdict(query: string, answer: SqlAnswer, deadlineMs: number) {
  const leaked = answer.body.includes(SECRET) || (!query.includes('site_b') && answer.body.includes('site_b'))
  let contract = true
  if (answer.status !== 200) {
    const parsed = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } }
    contract = typeof parsed.error?.code === 'string' && typeof parsed.error.message === 'string'
  }
  return {
    query,
    leaked,
    server_error: answer.status >= 500,
    contract,
    late: answer.ms > deadlineMs,
  }
}

export const CLEAN = (query: string) => ({
  query,
  leaked: false,
  server_error: false,
  contract: true,
  late: false,
})
