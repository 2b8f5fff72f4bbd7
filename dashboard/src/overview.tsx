import { useEffect } from 'preact/hooks'
import type { Api, BreakdownAnswer, Metrics, StatsAnswer, TrendsAnswer } from './api.ts'
import { BreakdownCard } from './breakdown-card.tsx'
import { change, count, duration, percent } from './format.ts'
import { useLoad } from './hooks.ts'
import { CARDS, headlineQueries, trendsQuery } from './queries.ts'
import type { Window } from './ranges.ts'
import { TrendChart } from './trend-chart.tsx'
import type { Dimension, Filter } from './url-state.ts'

interface Props {
  api: Api
  site: string
  window: Window
  filters: Filter[]
  tabs: Record<string, Dimension>
  onTab(card: string, tab: Dimension): void
  onFilter(filter: Filter): void
}

type Headline = { now: Partial<Metrics>; before: Partial<Metrics> }

const STATS: { key: keyof Metrics; label: string; show(n: number): string; lowerIsBetter?: boolean }[] = [
  { key: 'visitors', label: 'Visitors', show: count },
  { key: 'visits', label: 'Visits', show: count },
  { key: 'pageviews', label: 'Pageviews', show: count },
  { key: 'bounce_rate', label: 'Bounce rate', show: percent, lowerIsBetter: true },
  { key: 'visit_duration_s', label: 'Visit duration', show: duration },
]

async function loadHeadline(api: Api, site: string, w: Window, filters: Filter[], signal: AbortSignal) {
  const queries = headlineQueries(w, filters)
  if (filters.length === 0) {
    const s = await api.insight<StatsAnswer>(site, 'stats', queries[0]!.params, signal)
    return { now: s, before: s.previous }
  }
  const value = filters[0]!.value
  const [now, before] = await Promise.all(
    queries.map((q) => api.insight<BreakdownAnswer>(site, 'breakdown', q.params, signal)),
  )
  // Filters match case-insensitively; the row of the filter's exact value is the one asked for.
  const pick = (a: BreakdownAnswer) => a.rows.find((r) => r.value === value) ?? a.rows[0] ?? {}
  return { now: pick(now!), before: pick(before!) }
}

export function Overview({ api, site, window, filters, tabs, onTab, onFilter }: Props) {
  const tz = window.tz
  const key = [site, window.from.getTime(), window.to.getTime(), JSON.stringify(filters)]
  const headline = useLoad<Headline>((signal) => loadHeadline(api, site, window, filters, signal), key)
  const trend = useLoad(
    (signal) => api.insight<TrendsAnswer>(site, 'trends', trendsQuery(window, tz).params, signal),
    [site, window.from.getTime(), window.to.getTime(), tz],
  )
  useEffect(() => {
    if (headline.state === 'ok' && !performance.getEntriesByName('sightline:interactive').length) {
      // The moment the first numbers are on screen: what the first-view test measures.
      performance.mark('sightline:interactive')
    }
  }, [headline.state])
  return (
    <div class="overview">
      <section aria-label="Headline numbers" class="stats" data-ready={headline.state === 'ok'}>
        {STATS.map((s) => {
          const now = headline.state === 'ok' ? headline.data.now[s.key] : undefined
          const before = headline.state === 'ok' ? headline.data.before[s.key] : undefined
          const delta = now !== undefined && before !== undefined ? change(now, before) : undefined
          const good = delta !== undefined && (s.lowerIsBetter ? delta < 0 : delta > 0)
          return (
            <div class="stat" key={s.key} data-metric={s.key}>
              <div class="stat-label">{s.label}</div>
              <div class="stat-value">{now === undefined ? '—' : s.show(now)}</div>
              <div class={`stat-change ${delta === undefined || delta === 0 ? '' : good ? 'up' : 'down'}`}>
                {delta === undefined
                  ? before === undefined
                    ? ' '
                    : `previous: ${s.show(before)}`
                  : `${delta >= 0 ? '▲' : '▼'} ${Math.abs(Math.round(delta * 100))}% vs previous period`}
              </div>
            </div>
          )
        })}
      </section>
      {headline.state === 'error' && (
        <p class="error" role="alert">
          {headline.message}
        </p>
      )}
      <section class="card trend" aria-labelledby="trend-h">
        <header class="card-head">
          <h2 id="trend-h">Visitors over time</h2>
          <span class="muted small">
            {filters.length > 0 ? 'all traffic (the trends API takes no filters yet) · ' : ''}
            {tz}
          </span>
        </header>
        {trend.state === 'ok' && (
          <TrendChart
            buckets={trend.data.buckets}
            interval={window.interval}
            label="Visitors over time"
            tz={tz}
          />
        )}
        {trend.state === 'loading' && <div class="chart-placeholder" />}
        {trend.state === 'error' && (
          <p class="error" role="alert">
            {trend.message}
          </p>
        )}
      </section>
      <div class="grid">
        {CARDS.map((card) => (
          <BreakdownCard
            key={card.id}
            api={api}
            site={site}
            window={window}
            filters={filters}
            tabs={card.tabs}
            tab={tabs[card.id] ?? card.tabs[0]!}
            onTab={(t) => onTab(card.id, t)}
            onFilter={onFilter}
          />
        ))}
      </div>
    </div>
  )
}
