import { z } from 'zod'
import { compile, join, sql } from '../sql/fragment.ts'
import { defineInsight } from './define.ts'
import { DAY_MS, explainParam, type Resolved, rangeParams, resolveRange, siteZone } from './params.ts'
import { inWindow, windowParams } from './predicates.ts'

export interface RejectedSpec {
  site: string
  /** Inclusive, by received_at. */
  from: Date
  /** Exclusive. */
  to: Date
}

const isoInstant = z.string().describe('ISO 8601 instant, UTC')

export const RejectedRowSchema = z.object({
  stage: z.string(),
  code: z.string(),
  count: z.coerce.number().int().nonnegative(),
  /** DateTime64 text in UTC (`2030-05-01 11:00:00.000`). */
  last_at: z.string(),
  example_message: z.string(),
})
export type RejectedRow = z.output<typeof RejectedRowSchema>

export const RejectedResponseSchema = z.object({
  site: z.string(),
  from: isoInstant,
  to: isoInstant,
  total: z.number().int(),
  groups: z.array(
    z.object({
      stage: z.string(),
      code: z.string(),
      count: z.number().int(),
      last_at: isoInstant,
      example_message: z.string(),
    }),
  ),
})
export type RejectedResponse = z.output<typeof RejectedResponseSchema>

/**
 * What was refused for a site and why, by stage (edge, writer) and code: the visible side of
 * "nothing is silently dropped". One example message per group helps find the cause.
 */
export function planRejected(spec: RejectedSpec) {
  return compile(sql`SELECT
  stage,
  code,
  count() AS count,
  max(received_at) AS last_at,
  argMax(message, received_at) AS example_message
FROM rejected
WHERE ${join(inWindow(windowParams(spec), sql`received_at`), sql`\n  AND `)}
GROUP BY stage, code
ORDER BY count DESC, stage, code`)
}

export const rejected = defineInsight({
  kind: 'rejected',
  summary: 'Refused events by stage and reason',
  params: z.strictObject({ ...rangeParams, ...explainParam }),
  resolve(params, { site, now, timeZone }): Resolved<RejectedSpec> {
    const range = resolveRange(params, now, 7 * DAY_MS, siteZone(timeZone))
    if (typeof range === 'string') return { refused: range }
    return { spec: { site, ...range } }
  },
  plan: planRejected,
  row: RejectedRowSchema,
  respond(spec, rows): RejectedResponse {
    const groups = rows.map((r) => ({
      stage: r.stage,
      code: r.code,
      count: r.count,
      last_at: `${r.last_at.replace(' ', 'T')}Z`,
      example_message: r.example_message,
    }))
    return {
      site: spec.site,
      from: spec.from.toISOString(),
      to: spec.to.toISOString(),
      total: groups.reduce((sum, g) => sum + g.count, 0),
      groups,
    }
  },
  response: RejectedResponseSchema,
})
