import { HttpError } from '@sightline/http'
import type { Handler } from 'hono'
import { z } from 'zod'
import { planRejected, type RejectedRow } from '../planner/index.ts'
import type { RouteDeps } from './deps.ts'
import { defaultSpan, RejectedQuery, resolveRange } from './params.ts'
import { parseQuery, runPlanned } from './run.ts'

export interface RejectedResponse {
  site: string
  from: string
  to: string
  total: number
  groups: Array<{ stage: string; code: string; count: number; last_at: string; example_message: string }>
}

/** GET /v1/sites/:site/rejected — refused events counted by stage and reason. */
const RejectedRowSchema: z.ZodType<RejectedRow> = z.object({
  stage: z.string(),
  code: z.string(),
  count: z.coerce.number(),
  last_at: z.string(),
  example_message: z.string(),
})

export function rejectedRoute(deps: RouteDeps): Handler {
  return async (c) => {
    const query = parseQuery(c, RejectedQuery)
    const range = resolveRange(query, deps.clock(), defaultSpan('day'))
    if (typeof range === 'string') throw new HttpError('invalid_query', range)
    const site = c.req.param('site')!
    const planned = planRejected({ site, ...range })
    if (query.explain) return c.json(planned)
    const rows = await runPlanned(deps.warehouse, deps.logger, c, {
      name: 'rejected.groups',
      planned,
      row: RejectedRowSchema,
    })
    const groups = rows.map((r) => ({
      stage: r.stage,
      code: r.code,
      count: Number(r.count),
      last_at: `${r.last_at.replace(' ', 'T')}Z`,
      example_message: r.example_message,
    }))
    const body: RejectedResponse = {
      site,
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      total: groups.reduce((sum, g) => sum + g.count, 0),
      groups,
    }
    return c.json(body)
  }
}
