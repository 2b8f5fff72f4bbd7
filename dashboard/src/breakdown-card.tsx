import { useState } from 'preact/hooks'
import type { Api, BreakdownAnswer } from './api.ts'
import { count } from './format.ts'
import { useLoad } from './hooks.ts'
import { BREAKDOWN_TITLES, breakdownQuery } from './queries.ts'
import type { Window } from './ranges.ts'
import type { Dimension, Filter } from './url-state.ts'

interface Props {
  api: Api
  site: string
  window: Window
  filters: Filter[]
  tabs: Dimension[]
  tab: Dimension
  onTab(tab: Dimension): void
  onFilter(filter: Filter): void
}

const label = (value: string) => (value === '' ? '(none)' : value)

/** One breakdown (a tab of the card); a row is a button that filters the whole view by it. */
export function BreakdownCard({ api, site, window, filters, tabs, tab, onTab, onFilter }: Props) {
  const [id] = useState(() => `card-${Math.random().toString(36).slice(2, 8)}`)
  const query = breakdownQuery(window, tab, filters)
  const answer = useLoad(
    (signal) => api.insight<BreakdownAnswer>(site, 'breakdown', query.params, signal),
    [site, JSON.stringify(query.params)],
  )
  const max = answer.state === 'ok' ? Math.max(1, ...answer.data.rows.map((r) => r.visitors)) : 1
  return (
    <section class="card" aria-labelledby={`${id}-h`} data-card={tab}>
      <header class="card-head">
        <h2 id={`${id}-h`}>{BREAKDOWN_TITLES[tab]}</h2>
        {tabs.length > 1 && (
          <div class="tabs" role="tablist" aria-label={`${BREAKDOWN_TITLES[tabs[0]!]} views`}>
            {tabs.map((t) => (
              <button key={t} type="button" role="tab" aria-selected={t === tab} onClick={() => onTab(t)}>
                {BREAKDOWN_TITLES[t].replace(/^Top /, '')}
              </button>
            ))}
          </div>
        )}
      </header>
      {answer.state === 'loading' && <p class="muted">Loading…</p>}
      {answer.state === 'error' && (
        <p class="error" role="alert">
          {answer.message}
        </p>
      )}
      {answer.state === 'ok' && answer.data.rows.length === 0 && <p class="muted">No data in this range.</p>}
      {answer.state === 'ok' && answer.data.rows.length > 0 && (
        <ol class="rows" data-ready="true">
          <li class="rows-head" aria-hidden="true">
            <span>{tab.replace('_', ' ')}</span>
            <span>Visitors</span>
          </li>
          {answer.data.rows.map((row) => (
            <li key={row.value}>
              <button
                type="button"
                class="row"
                data-value={row.value}
                data-visitors={row.visitors}
                aria-label={`Filter by ${tab.replace('_', ' ')} ${label(row.value)}: ${count(row.visitors)} visitors`}
                onClick={() => onFilter({ dimension: tab, op: 'is', value: row.value })}
              >
                <span class="bar" style={{ width: `${(row.visitors / max) * 100}%` }} />
                <span class="row-label">{label(row.value)}</span>
                <span class="row-value">{count(row.visitors)}</span>
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
