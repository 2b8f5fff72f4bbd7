import type { Api, RejectedAnswer, StatsAnswer, TrendsAnswer } from './api.ts'
import { count, percent } from './format.ts'
import { useLoad } from './hooks.ts'
import type { Window } from './ranges.ts'
import { TrendChart } from './trend-chart.tsx'

interface Health {
  withBots: StatsAnswer
  humans: StatsAnswer
  rejected: RejectedAnswer
  trend: TrendsAnswer
}

/**
 * What happened to the site's events on the way in, from the read API alone: accepted
 * events over time (bots included), the share labelled bots, and everything refused by
 * stage and reason. End-to-end lag is not in the read API (the bridge's private /metrics).
 */
export function Health({ api, site, window }: { api: Api; site: string; window: Window }) {
  const range = { from: window.from.toISOString(), to: window.to.toISOString() }
  const answer = useLoad<Health>(
    async (signal) => {
      const [withBots, humans, rejected, trend] = await Promise.all([
        api.insight<StatsAnswer>(site, 'stats', { ...range, include_bots: 'true' }, signal),
        api.insight<StatsAnswer>(site, 'stats', range, signal),
        api.insight<RejectedAnswer>(site, 'rejected', range, signal),
        api.insight<TrendsAnswer>(
          site,
          'trends',
          { ...range, interval: window.interval, tz: window.tz, include_bots: 'true' },
          signal,
        ),
      ])
      return { withBots, humans, rejected, trend }
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
  const { withBots, humans, rejected, trend } = answer.data
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
}: {
  metric: string
  label: string
  value: string
  note: string
}) {
  return (
    <div class="stat" data-metric={metric}>
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      <div class="stat-change muted">{note}</div>
    </div>
  )
}
