import { HttpError, type RequestIdEnv } from '@sightline/http'
import type { Context, Hono } from 'hono'
import * as z from 'zod'
import {
  bucketStarts,
  INGEST_INTERVALS,
  type IngestSpec,
  planCanaries,
  planIngestCounts,
  resolveIngest,
} from '../ingest/plan.ts'
import { describeIssues, instant } from '../insights/params.ts'
import type { Clock } from '../ports.ts'
import { type RunContext, runPlanned } from './run.ts'

export const IngestQuerySchema = z.strictObject({
  from: instant.optional(),
  to: instant.optional(),
  interval: z.enum(INGEST_INTERVALS).default('hour'),
})

const count = z.coerce.number().int().nonnegative()
const CountRow = z.object({
  bucket_s: z.coerce.number(),
  outcome: z.enum(['inserted', 'duplicate', 'refused']),
  stage: z.string(),
  reason: z.string(),
  events: count,
})
type CountRow = z.output<typeof CountRow>
const CanaryRow = z.object({
  bridge_id: z.string(),
  canaries: count,
  last_created_ms: z.coerce.number(),
  last_lag_ms: z.coerce.number(),
  max_lag_ms: z.coerce.number(),
})
type CanaryRow = z.output<typeof CanaryRow>

const isoInstant = z.string().describe('ISO 8601 instant, UTC')
const counts = {
  inserted: z.number().int().describe('events loaded into the events table'),
  duplicates: z
    .number()
    .int()
    .describe('events dropped as copies of an event already loaded (same message_id)'),
  refused: z.number().int().describe('events refused (the sum of refused_by_reason)'),
  refused_by_reason: z.array(
    z.object({
      stage: z.string().describe('edge (refused at the edge) or writer (could not be loaded)'),
      reason: z.string().describe('the code, as in the rejected endpoint'),
      count: z.number().int(),
    }),
  ),
}
export const IngestResponseSchema = z.object({
  site: z.string(),
  from: isoInstant,
  to: isoInstant,
  interval: z.enum(INGEST_INTERVALS),
  totals: z.object(counts),
  buckets: z.array(z.object({ start: isoInstant, ...counts })).describe('every interval of the range, UTC'),
  canaries: z
    .array(
      z.object({
        bridge_id: z.string(),
        canaries: z.number().int().describe('canaries of this bridge committed in the range'),
        last_created_at: isoInstant.describe('when the bridge made its newest canary in the range'),
        last_lag_ms: z.number().int().describe('that canary: writer commit time − creation time'),
        max_lag_ms: z.number().int(),
      }),
    )
    .describe('pipeline-wide, not per site: the same for every site'),
})
export type IngestResponse = z.output<typeof IngestResponseSchema>

export interface IngestRouteDeps {
  clock: Clock
  runContext(c: Context<RequestIdEnv>): RunContext
}

/**
 * `GET /v1/sites/:site/ingest`: what the pipeline did with the site's events per interval
 * (inserted, duplicates, refused by reason) and how far behind it runs (each bridge's latest
 * canary lag). The read-key middleware has checked :site. Always computed: a health view
 * served from a cache would hide the very delay it is there to show.
 */
export function mountIngestRoute(app: Hono<RequestIdEnv>, deps: IngestRouteDeps): void {
  app.get('/v1/sites/:site/ingest', async (c) => {
    const parsed = IngestQuerySchema.safeParse(c.req.query())
    if (!parsed.success) throw new HttpError('invalid_query', describeIssues(parsed.error))
    const resolved = resolveIngest(parsed.data, c.req.param('site'), deps.clock())
    if ('refused' in resolved) throw new HttpError('invalid_query', resolved.refused)
    const run = deps.runContext(c)
    const rows = await runPlanned(run, {
      name: 'ingest.counts',
      planned: planIngestCounts(resolved.spec),
      row: CountRow,
    })
    const canaries = await runPlanned(run, {
      name: 'ingest.canaries',
      planned: planCanaries(resolved.spec),
      row: CanaryRow,
    })
    return c.json(ingestResponse(resolved.spec, rows, canaries))
  })
}

type Counts = z.output<z.ZodObject<typeof counts>>

function emptyCounts(): Counts {
  return { inserted: 0, duplicates: 0, refused: 0, refused_by_reason: [] }
}

function add(into: Counts, row: CountRow): void {
  if (row.outcome === 'inserted') into.inserted += row.events
  else if (row.outcome === 'duplicate') into.duplicates += row.events
  else {
    into.refused += row.events
    const same = into.refused_by_reason.find((r) => r.stage === row.stage && r.reason === row.reason)
    if (same) same.count += row.events
    else into.refused_by_reason.push({ stage: row.stage, reason: row.reason, count: row.events })
  }
}

export function ingestResponse(spec: IngestSpec, rows: CountRow[], canaries: CanaryRow[]): IngestResponse {
  const byStart = new Map(bucketStarts(spec).map((at) => [at, emptyCounts()]))
  const totals = emptyCounts()
  for (const row of rows) {
    add(totals, row)
    const bucket = byStart.get(row.bucket_s * 1000)
    if (bucket) add(bucket, row)
  }
  // Most refused first, then by name, so the answer is stable.
  const order = (list: Counts['refused_by_reason']) =>
    list.sort(
      (a, b) => b.count - a.count || a.stage.localeCompare(b.stage) || a.reason.localeCompare(b.reason),
    )
  order(totals.refused_by_reason)
  return {
    site: spec.site,
    from: spec.from.toISOString(),
    to: spec.to.toISOString(),
    interval: spec.interval,
    totals,
    buckets: [...byStart].map(([at, bucket]) => {
      order(bucket.refused_by_reason)
      return { start: new Date(at).toISOString(), ...bucket }
    }),
    canaries: canaries.map((r) => ({
      bridge_id: r.bridge_id,
      canaries: r.canaries,
      last_created_at: new Date(r.last_created_ms).toISOString(),
      last_lag_ms: r.last_lag_ms,
      max_lag_ms: r.max_lag_ms,
    })),
  }
}
