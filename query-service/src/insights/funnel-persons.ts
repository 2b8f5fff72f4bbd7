import { z } from 'zod'
import { compile, param, sql } from '../sql/fragment.ts'
import { defineInsight } from './define.ts'
import { bestAttempts, type FunnelSpec, funnelParams, MAX_STEPS, resolveFunnel } from './funnel-core.ts'
import { explainParam, type Resolved, siteZone } from './params.ts'

export const STATUSES = ['converted', 'dropped'] as const
export type PersonStatus = (typeof STATUSES)[number]

export interface FunnelPersonsSpec extends FunnelSpec {
  /** 1-based. */
  step: number
  /** `converted`: the best attempt reached `step`; `dropped`: it reached `step − 1` and stopped. */
  status: PersonStatus
  limit: number
  offset: number
}

export const MAX_PERSONS_LIMIT = 1_000
export const MAX_PERSONS_OFFSET = 1_000_000

/**
 * The persons behind one number of a funnel, ordered by person id so pages are stable, with
 * the total for pagination. The same best attempts as `funnel`, so the counts agree.
 */
export function planFunnelPersons(spec: FunnelPersonsSpec) {
  const step = param('step', 'UInt8', spec.step)
  const test = spec.status === 'converted' ? sql`length(times) >= ${step}` : sql`length(times) = ${step} - 1`
  return compile(sql`SELECT
  person,
  length(times) AS steps_reached,
  times[1] AS started_ms,
  times[-1] AS last_step_ms,
  count() OVER () AS total
FROM (
  SELECT person, best.1 AS times
  FROM (
    ${bestAttempts(spec, {})}
  )
)
WHERE ${test}
ORDER BY person
LIMIT ${param('limit', 'UInt32', spec.limit)} OFFSET ${param('offset', 'UInt32', spec.offset)}`)
}

const count = z.coerce.number().int().nonnegative()
export const FunnelPersonsRowSchema = z.object({
  person: z.string(),
  steps_reached: count,
  started_ms: z.coerce.number(),
  last_step_ms: z.coerce.number(),
  total: count,
})
export type FunnelPersonsRow = z.output<typeof FunnelPersonsRowSchema>

export const FunnelPersonsResponseSchema = z.object({
  site: z.string(),
  from: z.string(),
  to: z.string(),
  step: z.number().int(),
  status: z.enum(STATUSES),
  limit: z.number().int(),
  offset: z.number().int(),
  total: z.number().int().describe('persons with this status at this step, over all pages'),
  persons: z.array(
    z.object({
      person: z.string(),
      steps_reached: z.number().int(),
      started_at: z.string().describe('the best attempt’s first step, ISO 8601'),
      last_step_at: z.string().describe('the last step it reached, ISO 8601'),
    }),
  ),
})
export type FunnelPersonsResponse = z.output<typeof FunnelPersonsResponseSchema>

export const funnelPersons = defineInsight({
  kind: 'funnel_persons',
  summary: 'The persons who reached or dropped at one step of a funnel, paginated',
  params: z.strictObject({
    ...funnelParams,
    step: z.coerce.number().int().min(1).max(MAX_STEPS),
    status: z.enum(STATUSES, { error: `expected one of ${STATUSES.join(', ')}` }).default('converted'),
    limit: z.coerce.number().int().min(1).max(MAX_PERSONS_LIMIT).default(100),
    offset: z.coerce.number().int().min(0).max(MAX_PERSONS_OFFSET).default(0),
    ...explainParam,
  }),
  resolve(params, { site, now, timeZone }): Resolved<FunnelPersonsSpec> {
    const resolved = resolveFunnel(params, site, now, siteZone(timeZone))
    if ('refused' in resolved) return resolved
    const n = resolved.spec.steps.length
    if (params.step > n) return { refused: `step: the funnel has ${n} steps` }
    if (params.status === 'dropped' && params.step === 1) {
      return { refused: 'step: nobody drops at step 1 (they never entered); ask for step 2 or later' }
    }
    const { step, status, limit, offset } = params
    return { spec: { ...resolved.spec, step, status, limit, offset } }
  },
  plan: planFunnelPersons,
  row: FunnelPersonsRowSchema,
  respond(spec, rows): FunnelPersonsResponse {
    return {
      site: spec.site,
      from: spec.from.toISOString(),
      to: spec.to.toISOString(),
      step: spec.step,
      status: spec.status,
      limit: spec.limit,
      offset: spec.offset,
      // An offset past the end returns no rows, hence no total; nobody is then on any page.
      total: rows[0]?.total ?? 0,
      persons: rows.map((r) => ({
        person: r.person,
        steps_reached: r.steps_reached,
        started_at: new Date(r.started_ms).toISOString(),
        last_step_at: new Date(r.last_step_ms).toISOString(),
      })),
    }
  },
  response: FunnelPersonsResponseSchema,
})
