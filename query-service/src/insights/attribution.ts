import { z } from 'zod'
import { compile, type Fragment, param, sql } from '../sql/fragment.ts'
import {
  attribute,
  type ConvertingPath,
  MODELS,
  type Model,
  type NonConvertingPath,
} from './attribution-models.ts'
import { type Cohort, cohortParam, inCohort, resolveCohort } from './cohorts.ts'
import { defineInsight } from './define.ts'
import { type Goal, GoalSchema, goalPredicates, goalValue, resolveGoal } from './goals.ts'
import { jsonParam, listParam } from './json-param.ts'
import {
  DAY_MS,
  explainParam,
  flag,
  type Resolved,
  rangeParams,
  resolveRange,
  siteZone,
  WINDOW_START,
} from './params.ts'
import { personEvents } from './persons.ts'
import { eventsWhere, instantParam, windowParams } from './predicates.ts'
import { sessionsQuery } from './sessions.ts'

/**
 * Attribution: every conversion (a goal event in [from, to)) is credited to its touches — the
 * converting person's visits, on all of their devices, that started within the lookback
 * window before it — labelled by channel, source, medium or campaign, under one or more
 * models. The warehouse returns touch paths grouped by their label sequence; the models run
 * in TypeScript (attribution-models.ts). Definitions: docs/paths-attribution.md; design:
 * docs/adr/0023-paths-and-attribution.md.
 */

export const TOUCH_LABELS = ['channel', 'source', 'medium', 'campaign'] as const
export type TouchLabel = (typeof TOUCH_LABELS)[number]

export interface AttributionSpec {
  site: string
  from: Date
  to: Date
  includeBots: boolean
  conversion: Goal
  models: Model[]
  by: TouchLabel
  lookbackDays: number
  halfLifeDays: number
  minConversions: number
  /** Only these persons: their conversions, and their touches (and non-converting walks). */
  cohort?: Cohort
}

export const MAX_LOOKBACK_DAYS = 90
export const DEFAULT_MIN_CONVERSIONS = 100

export function planAttribution(spec: AttributionSpec) {
  const window = windowParams(spec)
  const lookbackMs = spec.lookbackDays * DAY_MS
  // Visits are formed from `from − lookback` on, so a conversion at `from` sees its whole window.
  const scan = { ...window, from: instantParam('scan_from', new Date(spec.from.getTime() - lookbackMs)) }
  const lookback = param('lookback_ms', 'Int64', lookbackMs)
  const members = inCohort(spec.cohort, spec.site, spec.includeBots)
  const visits = sessionsQuery({
    where: eventsWhere(scan, spec.includeBots),
    period: sql`toUInt8(1)`,
    details: [spec.by],
    person: window.site,
    personFilter: { site: window.site, test: members },
  })
  const label: Record<TouchLabel, Fragment> = {
    channel: sql`channel`,
    source: sql`source`,
    medium: sql`medium`,
    campaign: sql`campaign`,
  }
  // (started, device, label): sorting the tuple orders touches by time, then device, then label.
  const touches = sql`SELECT person, groupArray((started, anonymous_id, ${label[spec.by]})) AS touches
FROM (
  ${visits}
)
WHERE person != ''
GROUP BY person`
  // Each person's conversions, (time, value), gathered like the touches so one join pairs them.
  const conversions = sql`SELECT person, groupArray((toUnixTimestamp64Milli(ts), ${goalValue(spec.conversion)})) AS convs
FROM ${personEvents(eventsWhere(window, spec.includeBots, goalPredicates(spec.conversion)), window.site)}
WHERE person != '' AND ${members}
GROUP BY person`
  const withMarkov = spec.models.includes('data_driven')
  // Only the Markov model reads people who did not convert: their touches in the lookback
  // window that ends at `to`, i.e. as if they had converted at `to` (with no value). A FULL
  // JOIN keeps them (their `convs` is empty) and the visits are computed once for everyone;
  // without data_driven a LEFT JOIN reads converters only.
  const toMs = param('to_ms', 'Int64', spec.to.getTime())
  const items = withMarkov ? sql`if(empty(convs), [(${toMs}, toFloat64(0))], convs)` : sql`convs`
  const halfLife = param('half_life_ms', 'Float64', spec.halfLifeDays * DAY_MS)
  const perConversion = sql`SELECT
  notEmpty(convs) AS converting,
  item.1 AS t_ms,
  item.2 AS value,
  arraySort(arrayFilter(x -> x.1 >= t_ms - ${lookback} AND x.1 <= t_ms, touches)) AS mine,
  arrayMap(x -> x.3, mine) AS labels,
  -- Ages from the youngest touch (the one that started last): the same weights once
  -- normalised, and that one weighs 1, so a short half-life never gives 0 / 0.
  arrayMax(arrayMap(x -> x.1, mine)) AS youngest,
  arrayMap(x -> exp2(-(youngest - x.1) / ${halfLife}), mine) AS raw,
  if(converting, arrayMap(w -> w / arraySum(raw), raw), CAST([], 'Array(Float64)')) AS weights
FROM (
  ${conversions}
) AS c
${withMarkov ? sql`FULL OUTER JOIN` : sql`LEFT JOIN`} (
  ${touches}
) AS v USING (person)
ARRAY JOIN ${items} AS item`
  // One row per (converting or not, label sequence); a non-converting path needs a touch.
  return compile(sql`SELECT
  toUInt8(converting) AS converting,
  labels,
  count() AS conversions,
  sum(value) AS revenue,
  sumForEach(weights) AS decay,
  sumForEach(arrayMap(w -> w * value, weights)) AS decay_revenue
FROM (
  ${perConversion}
)
GROUP BY converting, labels
HAVING converting OR notEmpty(labels)
ORDER BY converting DESC, labels`)
}

const count = z.coerce.number().int().nonnegative()
const float = z.coerce.number()
export const AttributionRowSchema = z.object({
  converting: z.coerce.number().int().min(0).max(1),
  labels: z.array(z.string()),
  conversions: count,
  revenue: float,
  decay: z.array(float),
  decay_revenue: z.array(float),
})
export type AttributionRow = z.output<typeof AttributionRowSchema>

const CreditSchema = z.object({
  label: z
    .string()
    .nullable()
    .describe('the touch label; null for conversions with no touch in their window'),
  conversions: z.number().describe('credited conversions (fractions under multi-touch models)'),
  revenue: z.number().describe('credited value'),
})
const ResultSchema = z.object({
  model: z.enum(MODELS),
  available: z.boolean().describe('false only for data_driven below its minimum or above its label limit'),
  reason: z.string().nullable(),
  conversions: z.number().int().describe('equals the sum of credited conversions (0 when unavailable)'),
  revenue: z.number(),
  credits: z.array(CreditSchema),
  removal_effects: z
    .array(z.object({ label: z.string(), removal_effect: z.number() }))
    .nullable()
    .describe('data_driven only'),
})
export const AttributionResponseSchema = z.object({
  site: z.string(),
  from: z.string(),
  to: z.string(),
  include_bots: z.boolean(),
  conversion: z.object({
    event: z.string(),
    filters: z.array(
      z.object({ dimension: z.string(), op: z.string(), value: z.union([z.string(), z.number()]) }),
    ),
    value: z.string().nullable(),
  }),
  by: z.enum(TOUCH_LABELS),
  lookback_days: z.number(),
  half_life_days: z.number(),
  data_driven_min_conversions: z.number().int(),
  conversions: z.number().int().describe('conversion events in [from, to)'),
  revenue: z.number().describe('their summed value'),
  results: z.array(ResultSchema),
})
export type AttributionResponse = z.output<typeof AttributionResponseSchema>

const modelList = z
  .array(z.enum(MODELS, { error: `expected one of ${MODELS.join(', ')}` }))
  .min(1)
  .max(MODELS.length)
  .refine((m) => new Set(m).size === m.length, { error: 'a model is listed twice' })

export const attribution = defineInsight({
  kind: 'attribution',
  summary: 'Conversions and revenue credited to channels, sources, media or campaigns under several models',
  params: z.strictObject({
    ...rangeParams,
    include_bots: flag.default(false),
    conversion: jsonParam(GoalSchema),
    models: listParam(modelList).default([...MODELS]),
    by: z.enum(TOUCH_LABELS, { error: `expected one of ${TOUCH_LABELS.join(', ')}` }).default('channel'),
    lookback_days: z.coerce.number().int().min(1).max(MAX_LOOKBACK_DAYS).default(30),
    half_life_days: z.coerce.number().min(0.01).max(365).default(7),
    data_driven_min_conversions: z.coerce
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(DEFAULT_MIN_CONVERSIONS),
    cohort: cohortParam.optional(),
    ...explainParam,
  }),
  resolve(params, { site, now, timeZone }): Resolved<AttributionSpec> {
    const range = resolveRange(params, now, 30 * DAY_MS, siteZone(timeZone))
    if (typeof range === 'string') return { refused: range }
    if (range.from.getTime() - params.lookback_days * DAY_MS < WINDOW_START.getTime()) {
      return { refused: `\`from\` minus the lookback window must not precede ${WINDOW_START.toISOString()}` }
    }
    const conversion = resolveGoal(params.conversion, 'conversion')
    if (typeof conversion === 'string') return { refused: conversion }
    const cohort = params.cohort === undefined ? undefined : resolveCohort(params.cohort, range.to)
    if (typeof cohort === 'string') return { refused: cohort }
    return {
      spec: {
        site,
        ...range,
        includeBots: params.include_bots,
        conversion,
        models: params.models,
        by: params.by,
        lookbackDays: params.lookback_days,
        halfLifeDays: params.half_life_days,
        minConversions: params.data_driven_min_conversions,
        ...(cohort === undefined ? {} : { cohort }),
      },
    }
  },
  plan: planAttribution,
  row: AttributionRowSchema,
  respond(spec, rows): AttributionResponse {
    const converting: ConvertingPath[] = rows
      .filter((r) => r.converting === 1)
      .map((r) => ({
        labels: r.labels,
        conversions: r.conversions,
        revenue: r.revenue,
        decay: r.decay,
        decayRevenue: r.decay_revenue,
      }))
    const nonConverting: NonConvertingPath[] = rows
      .filter((r) => r.converting === 0)
      .map((r) => ({ labels: r.labels, count: r.conversions }))
    const results = attribute(spec.models, converting, nonConverting, { minConversions: spec.minConversions })
    return {
      site: spec.site,
      from: spec.from.toISOString(),
      to: spec.to.toISOString(),
      include_bots: spec.includeBots,
      conversion: {
        event: spec.conversion.event,
        filters: spec.conversion.filters,
        value: spec.conversion.value ?? null,
      },
      by: spec.by,
      lookback_days: spec.lookbackDays,
      half_life_days: spec.halfLifeDays,
      data_driven_min_conversions: spec.minConversions,
      conversions: converting.reduce((s, p) => s + p.conversions, 0),
      revenue: converting.reduce((s, p) => s + p.revenue, 0),
      results: results.map((r) => ({
        model: r.model,
        available: r.available,
        reason: r.reason,
        conversions: r.conversions,
        revenue: r.revenue,
        credits: r.credits,
        removal_effects: r.removalEffects,
      })),
    }
  },
  response: AttributionResponseSchema,
})
