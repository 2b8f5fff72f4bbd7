export { chDateTime } from './fragments.ts'
export { planStats, type StatsRow } from './stats.ts'
export { planTrends, type TrendsRow } from './trends.ts'
export { INTERVALS, type Interval, type Planned, type StatsSpec, type TrendsSpec } from './types.ts'
