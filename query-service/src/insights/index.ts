export { type AnyInsight, defineInsight, type Insight, type InsightContext } from './define.ts'
export { INSIGHTS, insightIndex } from './registry.ts'
export {
  planRejected,
  type RejectedResponse,
  RejectedResponseSchema,
  type RejectedRow,
  type RejectedSpec,
} from './rejected.ts'
export { planStats, type StatsResponse, StatsResponseSchema, type StatsRow, type StatsSpec } from './stats.ts'
export {
  INTERVALS,
  type Interval,
  MAX_BUCKETS,
  planTrends,
  type TrendsResponse,
  TrendsResponseSchema,
  type TrendsRow,
  type TrendsSpec,
} from './trends.ts'
