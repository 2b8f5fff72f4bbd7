import { z } from 'zod'
import { compile, type Fragment, param, sql } from '../sql/fragment.ts'
import { defineInsight } from './define.ts'
import type { Dimension } from './dimensions.ts'
import {
  bestAttempts,
  breakdownDimension,
  type FunnelSpec,
  funnelParams,
  ORDERS,
  resolveFunnel,
} from './funnel-core.ts'
import { explainParam, type Resolved, timeZone } from './params.ts'
import { bucketCount, bucketOf, earliestFrom, INTERVALS, type Interval, MAX_BUCKETS } from './trends.ts'

export interface FunnelInsightSpec extends FunnelSpec {
  breakdown?: Dimension
  breakdownLimit: number
  /** A conversion trend: the best attempt per person among those starting in each bucket. */
  interval?: Interval
  tz: string
}

export const MAX_BREAKDOWN_LIMIT = 100

/** Row sections: the whole range, a breakdown value on the page, the rest folded, a trend bucket. */
const TOTAL = 0
const GROUP = 1
const OTHER = 2
const BUCKET = 3

function sections(spec: FunnelInsightSpec): Fragment {
  // The whole-range row ('' bucket) also feeds the breakdown; a trend bucket feeds only its bucket.
  const whole =
    spec.breakdown === undefined ? sql`[(toUInt8(0), '')]` : sql`[(toUInt8(0), ''), (toUInt8(1), best.2)]`
  return sql`if(bucket = '', ${whole}, [(toUInt8(3), bucket)])`
}

/**
 * Persons per step (those whose best attempt reached it) and the time from the previous step,
 * for the whole range, each breakdown value (ranked by persons at step 1, then value; values
 * after `breakdown_limit` folded into one `other` row) and each trend bucket.
 */
export function planFunnel(spec: FunnelInsightSpec) {
  const tz = param('tz', 'String', spec.tz)
  const interval = spec.interval
  const bucket =
    interval === undefined
      ? undefined
      : (t0: Fragment) =>
          sql`formatDateTime(${bucketOf(interval, sql`fromUnixTimestamp64Milli(${t0}, 'UTC')`, tz)}, '%Y-%m-%dT%H:%i:%S.000Z', 'UTC')`
  const limit = param('breakdown_limit', 'UInt32', spec.breakdownLimit)
  // The window functions only rank breakdown groups; without a breakdown they are skipped.
  const ranked = spec.breakdown !== undefined
  return compile(sql`SELECT
  if(section = 1 AND rank > ${limit}, toUInt8(2), section) AS part,
  if(part = 2, '', label) AS group_label,
  step,
  count() AS persons,
  quantileExactInclusiveIf(0.5)(gap, step > 1) AS median_ms,
  quantileExactInclusiveIf(0.9)(gap, step > 1) AS p90_ms,
  max(rank) AS max_rank
FROM (
  SELECT
    *,
    ${ranked ? sql`if(section = 1, dense_rank() OVER (PARTITION BY section ORDER BY group_persons DESC, label), 0)` : sql`toUInt64(0)`} AS rank
  FROM (
    SELECT
      person,
      grouped.1 AS section,
      grouped.2 AS label,
      best.1 AS times,
      ${ranked ? sql`count() OVER (PARTITION BY section, label)` : sql`toUInt64(0)`} AS group_persons
    FROM (
      ${bestAttempts(spec, { ...(bucket ? { bucket } : {}), ...(spec.breakdown ? { breakdown: spec.breakdown } : {}) })}
    )
    ARRAY JOIN ${sections(spec)} AS grouped
  )
)
ARRAY JOIN arrayEnumerate(times) AS step, arrayMap((t, k) -> if(k = 1, 0, t - times[k - 1]), times, arrayEnumerate(times)) AS gap
GROUP BY part, group_label, step
ORDER BY part, group_label, step`)
}

const count = z.coerce.number().int().nonnegative()
const quantile = z
  .union([z.coerce.number(), z.null()])
  .transform((v) => (v === null || Number.isNaN(v) ? null : v))
export const FunnelRowSchema = z.object({
  part: z.coerce.number().int().min(0).max(3),
  group_label: z.string(),
  step: z.coerce.number().int().min(1),
  persons: count,
  median_ms: quantile,
  p90_ms: quantile,
  max_rank: count,
})
export type FunnelRow = z.output<typeof FunnelRowSchema>

const StepSchema = z.object({
  step: z.number().int().describe('1-based'),
  event: z.string(),
  label: z.string().nullable(),
  persons: z.number().int().describe('persons whose best attempt reached this step'),
  dropped: z.number().int().describe('reached this step but not the next (0 at the last step)'),
  conversion_from_previous: z.number().min(0).max(1),
  conversion_from_first: z.number().min(0).max(1),
  median_time_s: z.number().nullable().describe('from the previous step; null at step 1 or with nobody here'),
  p90_time_s: z.number().nullable(),
})
type Step = z.output<typeof StepSchema>
const StepsSchema = z.array(StepSchema)

export const FunnelResponseSchema = z.object({
  site: z.string(),
  from: z.string(),
  to: z.string(),
  include_bots: z.boolean(),
  order: z.enum(ORDERS),
  window_s: z.number().int(),
  steps: StepsSchema,
  breakdown: z
    .object({
      by: z.string(),
      total_groups: z.number().int(),
      groups: z.array(z.object({ value: z.string(), steps: StepsSchema })),
      other: StepsSchema.nullable().describe('every value after the first `breakdown_limit`, as one group'),
    })
    .nullable(),
  trend: z
    .object({
      interval: z.enum(INTERVALS),
      tz: z.string(),
      buckets: z.array(
        z.object({
          bucket: z.string().describe('ISO 8601 instant the bucket starts'),
          entered: z.number().int(),
          converted: z.number().int().describe('reached the last step'),
          conversion: z.number().min(0).max(1),
        }),
      ),
    })
    .nullable(),
})
export type FunnelResponse = z.output<typeof FunnelResponseSchema>

/** One funnel's steps from its rows; steps nobody reached are filled in with zeros. */
function stepsOf(spec: FunnelInsightSpec, labels: (string | undefined)[], rows: FunnelRow[]): Step[] {
  const byStep = new Map(rows.map((r) => [r.step, r]))
  const first = byStep.get(1)?.persons ?? 0
  return spec.steps.map((goal, i) => {
    const row = byStep.get(i + 1)
    const persons = row?.persons ?? 0
    const previous = i === 0 ? persons : (byStep.get(i)?.persons ?? 0)
    const next = i + 1 < spec.steps.length ? (byStep.get(i + 2)?.persons ?? 0) : persons
    const seconds = (ms: number | null | undefined) =>
      i === 0 || ms === null || ms === undefined ? null : ms / 1000
    return {
      step: i + 1,
      event: goal.event,
      label: labels[i] ?? null,
      persons,
      dropped: persons - next,
      conversion_from_previous: previous === 0 ? 0 : persons / previous,
      conversion_from_first: first === 0 ? 0 : persons / first,
      median_time_s: seconds(row?.median_ms),
      p90_time_s: seconds(row?.p90_ms),
    }
  })
}

function groupRows(rows: FunnelRow[], part: number): Map<string, FunnelRow[]> {
  const groups = new Map<string, FunnelRow[]>()
  for (const row of rows) {
    if (row.part !== part) continue
    groups.set(row.group_label, [...(groups.get(row.group_label) ?? []), row])
  }
  return groups
}

export const funnel = defineInsight({
  kind: 'funnel',
  summary: 'Persons reaching each step of a funnel, conversion rates and times, by breakdown and over time',
  params: z.strictObject({
    ...funnelParams,
    breakdown: breakdownDimension.optional(),
    breakdown_limit: z.coerce.number().int().min(1).max(MAX_BREAKDOWN_LIMIT).default(10),
    interval: z.enum(INTERVALS, { error: `expected one of ${INTERVALS.join(', ')}` }).optional(),
    tz: timeZone.default('UTC'),
    ...explainParam,
  }),
  resolve(params, { site, now }): Resolved<FunnelInsightSpec> {
    const resolved = resolveFunnel(params, site, now, params.tz)
    if ('refused' in resolved) return resolved
    const spec: FunnelInsightSpec = {
      ...resolved.spec,
      breakdownLimit: params.breakdown_limit,
      tz: params.tz,
      ...(params.breakdown === undefined ? {} : { breakdown: params.breakdown }),
    }
    if (params.interval !== undefined) {
      const earliest = earliestFrom(params.interval)
      if (spec.from < earliest) {
        return {
          refused: `with interval=${params.interval}, \`from\` must be ${earliest.toISOString()} or later`,
        }
      }
      const buckets = bucketCount(spec.from, spec.to, params.interval)
      if (buckets > MAX_BUCKETS) {
        return {
          refused: `the range holds up to ${buckets} ${params.interval} buckets; the limit is ${MAX_BUCKETS}`,
        }
      }
      spec.interval = params.interval
    }
    return { spec }
  },
  plan: planFunnel,
  row: FunnelRowSchema,
  respond(spec, rows): FunnelResponse {
    const labels = spec.steps.map((s) => s.label)
    const total = rows.filter((r) => r.part === TOTAL)
    const groups = groupRows(rows, GROUP)
    const other = rows.filter((r) => r.part === OTHER)
    const buckets = groupRows(rows, BUCKET)
    const n = spec.steps.length
    return {
      site: spec.site,
      from: spec.from.toISOString(),
      to: spec.to.toISOString(),
      include_bots: spec.includeBots,
      order: spec.order,
      window_s: spec.windowMs / 1000,
      steps: stepsOf(spec, labels, total),
      breakdown:
        spec.breakdown === undefined
          ? null
          : {
              by: spec.breakdown,
              total_groups: other.length > 0 ? Math.max(...other.map((r) => r.max_rank)) : groups.size,
              groups: [...groups.entries()]
                .map(([value, rs]) => ({ value, rank: rs[0]!.max_rank, steps: stepsOf(spec, labels, rs) }))
                .sort((a, b) => a.rank - b.rank)
                .map(({ value, steps }) => ({ value, steps })),
              other: other.length > 0 ? stepsOf(spec, labels, other) : null,
            },
      trend:
        spec.interval === undefined
          ? null
          : {
              interval: spec.interval,
              tz: spec.tz,
              buckets: [...buckets.entries()]
                .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
                .map(([bucket, rs]) => {
                  const entered = rs.find((r) => r.step === 1)?.persons ?? 0
                  const converted = rs.find((r) => r.step === n)?.persons ?? 0
                  return { bucket, entered, converted, conversion: entered === 0 ? 0 : converted / entered }
                }),
            },
    }
  },
  response: FunnelResponseSchema,
})
