// The requests behind each chart, in one place: the Overview runs them and the Audit view
// asks the same ones with explain=1, so the SQL it shows is the SQL behind the numbers.
import type { Params } from './api.ts'
import { previousWindow, type Window } from './ranges.ts'
import type { Dimension, Filter } from './url-state.ts'

export interface ChartQuery {
  id: string
  title: string
  kind: 'stats' | 'trends' | 'breakdown'
  params: Params
}

export const BREAKDOWN_TITLES: Record<Dimension, string> = {
  page: 'Top pages',
  entry_page: 'Entry pages',
  exit_page: 'Exit pages',
  source: 'Sources',
  channel: 'Channels',
  campaign: 'Campaigns',
  country: 'Countries',
  device_type: 'Devices',
  browser: 'Browsers',
  os: 'Operating systems',
}

/** The Overview's cards, each with its tabs (one breakdown request per card at a time). */
export const CARDS: { id: string; tabs: Dimension[] }[] = [
  { id: 'pages', tabs: ['page', 'entry_page', 'exit_page'] },
  { id: 'sources', tabs: ['source', 'channel', 'campaign'] },
  { id: 'locations', tabs: ['country'] },
  { id: 'devices', tabs: ['device_type', 'browser', 'os'] },
]

function range(w: { from: Date; to: Date }): Params {
  return { from: w.from.toISOString(), to: w.to.toISOString() }
}

function filterParam(filters: Filter[]): Params {
  return filters.length === 0 ? {} : { filters: JSON.stringify(filters) }
}

export function breakdownQuery(w: Window, by: Dimension, filters: Filter[], limit = 10): ChartQuery {
  return {
    id: `breakdown:${by}`,
    title: BREAKDOWN_TITLES[by],
    kind: 'breakdown',
    params: { ...range(w), by, limit: String(limit), ...filterParam(filters) },
  }
}

/**
 * The headline numbers. Unfiltered: `stats` (which compares with the previous period
 * itself). Filtered: stats takes no filters, so the numbers are the one row of a breakdown
 * by the first filter's own dimension under all the filters (every filter is `is`, so only
 * the matching value remains), asked for this period and the one before.
 */
export function headlineQueries(w: Window, filters: Filter[]): ChartQuery[] {
  if (filters.length === 0)
    return [{ id: 'stats', title: 'Headline numbers', kind: 'stats', params: range(w) }]
  const by = filters[0]!.dimension
  const prev = { ...w, ...previousWindow(w) }
  return [
    { ...breakdownQuery(w, by, filters, 5), id: 'headline', title: 'Headline numbers (filtered)' },
    { ...breakdownQuery(prev, by, filters, 5), id: 'headline:previous', title: 'Previous period (filtered)' },
  ]
}

export function trendsQuery(w: Window, tz: string): ChartQuery {
  return {
    id: 'trends',
    title: 'Visitors over time',
    kind: 'trends',
    params: { ...range(w), interval: w.interval, tz },
  }
}

export function overviewQueries(w: Window, filters: Filter[], tabs: Record<string, Dimension>, tz: string) {
  return [
    ...headlineQueries(w, filters),
    trendsQuery(w, tz),
    ...CARDS.map((card) => breakdownQuery(w, tabs[card.id] ?? card.tabs[0]!, filters)),
  ]
}
