import type { EnrichedEvent } from '@sightline/contracts'
import { edgeFields } from './edge-info.ts'
import type { Enricher } from './pipeline/surface.ts'

/** The minimal enrichment: what Cloudflare already put on the request (geo, colo). */
export const copyCloudflareFields: Enricher = (events, ctx) => {
  const edge = edgeFields((ctx.request as Request & { cf?: Record<string, unknown> }).cf)
  return events.map((event): EnrichedEvent => ({ ...event, ...edge }))
}
