import type { Api, EventNamesAnswer, RejectedAnswer, StatsAnswer, TrendsAnswer } from './api.ts'
import { ago, count, percent } from './format.ts'
import { useLoad } from './hooks.ts'
import type { Window } from './ranges.ts'
import { TrendChart } from './trend-chart.tsx'

interface Health {
  withBots: StatsAnswer
  humans: StatsAnswer
  rejected: RejectedAnswer
  trend: TrendsAnswer
  newest: EventNamesAnswer
}

/**
 * What happened to the site's events on the way in, from the read API alone: accepted
 * events over time (bots included), the share labelled bots, and everything refused by
 * stage and reason, and how long ago the newest queryable event reached the edge: while
 * events flow, that bounds the end-to-end lag (edge → queryable) from above.
 */
export function Health({ api, site, window }: { api: Api; site: string; window: Window }) {
  const range = { from: window.from.toISOString(), to: window.to.toISOString() }
  const answer = useLoad<Health>(
    async (signal) => {
      const [withBots, humans, rejected, trend, newest] = await Promise.all([
        api.insight<StatsAnswer>(site, 'stats', { ...range, include_bots: 'true' }, signal),
        api.insight<StatsAnswer>(site, 'stats', range, signal),
        api.insight<RejectedAnswer>(site, 'rejected', range, signal),
        api.insight<TrendsAnswer>(
          site,
          'trends',
          { ...range, interval: window.interval, tz: window.tz, include_bots: 'true' },
          signal,
        ),
        api.insight<EventNamesAnswer>(site, 'events', { ...range, include_bots: 'true', limit: '1' }, signal),
      ])
      return { withBots, humans, rejected, trend, newest }
    },
    [site, range.from, range.to],
  )
  if (answer.state === 'loading') return <p class="muted">Loading…</p>
  if (answer.state === 'error')
    return (
      <p class="error" role="alert">
        {answer.message}
      </p>
    )
  const { withBots, humans, rejected, trend, newest } = answer.data
  const newestAt = newest.newest_received_at
  const bots = withBots.events - humans.events
  const offered = withBots.events + rejected.total
  return (
    <div class="health">
      <section class="stats" aria-label="Ingestion">
        <Stat metric="accepted" label="Events accepted" value={count(withBots.events)} note="bots included" />
        <Stat
          metric="bot_share"
          label="Bot share"
          value={withBots.events ? percent(bots / withBots.events) : '—'}
          note={`${count(bots)} events labelled bots`}
        />
        <Stat
          metric="rejected"
          label="Events refused"
          value={count(rejected.total)}
          note={offered ? `${percent(rejected.total / offered)} of all offered` : ' '}
        />
        <Stat
          metric="newest"
          label="Newest event received"
          value={newestAt ? `${ago(Date.now() - Date.parse(newestAt))} ago` : '—'}
          note={
            newestAt
              ? 'and queryable now: while events flow, the end-to-end lag is at most this'
              : 'nothing in this range'
          }
          at={newestAt ?? undefined}
        />
      </section>
      <section class="card trend" aria-labelledby="throughput-h">
        <header class="card-head">
          <h2 id="throughput-h">Throughput (events per {window.interval}, bots included)</h2>
        </header>
        <TrendChart
          buckets={trend.buckets.map((b) => ({ ...b, visitors: b.count }))}
          interval={window.interval}
          label="Events accepted over time"
          tz={window.tz}
        />
      </section>
      <section class="card" aria-labelledby="rejected-h">
        <header class="card-head">
          <h2 id="rejected-h">Refused events by reason</h2>
        </header>
        {rejected.groups.length === 0 ? (
          <p class="muted">Nothing was refused in this range.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Stage</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Events</th>
                  <th scope="col">Last</th>
                  <th scope="col">Example</th>
                </tr>
              </thead>
              <tbody>
                {rejected.groups.map((g) => (
                  <tr key={`${g.stage}:${g.code}`} data-code={g.code}>
                    <td>{g.stage}</td>
                    <td>
                      <code>{g.code}</code>
                    </td>
                    <td class="num">{count(g.count)}</td>
                    <td>{new Date(g.last_at).toLocaleString()}</td>
                    <td class="example">{g.example_message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  )
}

function Stat({
  metric,
  label,
  value,
  note,
  at,
}: {
  metric: string
  label: string
  value: string
  note: string
  /** An instant the value is computed from, for whoever reads the page (title, tests). */
  at?: string | undefined
}) {
  return (
    <div
      class="stat"
      data-metric={metric}
      data-at={at}
      title={at ? new Date(at).toLocaleString() : undefined}
    >
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      <div class="stat-change muted">{note}</div>
    </div>
  )
}
