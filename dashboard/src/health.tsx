import type { Api, IngestAnswer, RejectedAnswer, StatsAnswer } from './api.ts'
import { ago, count, lag, percent } from './format.ts'
import { useLoad } from './hooks.ts'
import { ingestParams, insertedPerBucket, pipelineLag } from './ingest-summary.ts'
import type { Window } from './ranges.ts'
import { TrendChart } from './trend-chart.tsx'

interface Health {
  ingest: IngestAnswer
  withBots: StatsAnswer
  humans: StatsAnswer
  rejected: RejectedAnswer
}

/**
 * What happened to the site's events on the way in, from the read API alone: what the writer
 * inserted, dropped as duplicates and refused (by stage and reason) in the range, counted when
 * it committed them (`ingest`); the share of the stored events labelled bots (`stats` with
 * and without bots); and the pipeline lag the bridges' canaries measured, edge to queryable.
 */
export function Health({ api, site, window }: { api: Api; site: string; window: Window }) {
  const range = { from: window.from.toISOString(), to: window.to.toISOString() }
  const answer = useLoad<Health>(
    async (signal) => {
      const [ingest, withBots, humans, rejected] = await Promise.all([
        api.ingest(site, ingestParams(window), signal),
        api.insight<StatsAnswer>(site, 'stats', { ...range, include_bots: 'true' }, signal),
        api.insight<StatsAnswer>(site, 'stats', range, signal),
        api.insight<RejectedAnswer>(site, 'rejected', range, signal),
      ])
      return { ingest, withBots, humans, rejected }
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
  const { ingest, withBots, humans, rejected } = answer.data
  const { inserted, duplicates, refused, refused_by_reason } = ingest.totals
  const received = inserted + duplicates + refused
  const share = (n: number) => (received ? `${percent(n / received)} of all received` : ' ')
  const bots = withBots.events - humans.events
  const lagged = pipelineLag(ingest.canaries)
  // The refusals are the ingest answer's, not `rejected`'s: both count the same refusals, but
  // `ingest` counts them when the writer committed them, like the inserted and duplicate
  // events beside them, so the three shares add up. `rejected` (which dates a refusal by its
  // receipt) only lends each reason its latest time and an example message.
  const example = new Map(rejected.groups.map((g) => [`${g.stage}:${g.code}`, g]))
  return (
    <div class="health">
      <section class="stats" aria-label="Ingestion">
        <Stat
          metric="inserted"
          label="Events inserted"
          value={count(inserted)}
          note="loaded and queryable, bots included"
        />
        <Stat
          metric="duplicates"
          label="Duplicates dropped"
          value={count(duplicates)}
          note={share(duplicates)}
        />
        <Stat metric="rejected" label="Events refused" value={count(refused)} note={share(refused)} />
        <Stat
          metric="bot_share"
          label="Bot share"
          value={withBots.events ? percent(bots / withBots.events) : '—'}
          note={`${count(bots)} stored events labelled bots`}
        />
        <Stat
          metric="lag"
          label="Pipeline lag"
          value={lagged ? lag(lagged.latestMs) : '—'}
          note={
            lagged
              ? `edge → queryable, newest of ${count(lagged.canaries)} ${lagged.canaries === 1 ? 'canary' : 'canaries'}${lagged.bridges > 1 ? ` from ${lagged.bridges} bridges` : ''} · max ${lag(lagged.maxMs)} · last sent ${ago(Date.now() - Date.parse(lagged.lastCanaryAt))} ago`
              : 'no canary reached the warehouse in this range (each bridge sends one a minute)'
          }
          at={lagged?.lastCanaryAt}
        />
      </section>
      <section class="card trend" aria-labelledby="throughput-h">
        <header class="card-head">
          <h2 id="throughput-h">Events inserted per {window.interval} (when the writer committed them)</h2>
        </header>
        <TrendChart
          buckets={insertedPerBucket(ingest, window).map((b) => ({ ...b, visitors: b.count }))}
          interval={window.interval}
          label="Events inserted over time"
          unit="events"
          tz={window.tz}
        />
      </section>
      <section class="card" aria-labelledby="rejected-h">
        <header class="card-head">
          <h2 id="rejected-h">Refused events by reason</h2>
        </header>
        {refused_by_reason.length === 0 ? (
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
                {refused_by_reason.map((r) => {
                  const seen = example.get(`${r.stage}:${r.reason}`)
                  return (
                    <tr key={`${r.stage}:${r.reason}`} data-stage={r.stage} data-code={r.reason}>
                      <td>{r.stage}</td>
                      <td>
                        <code>{r.reason}</code>
                      </td>
                      <td class="num">{count(r.count)}</td>
                      <td>{seen ? new Date(seen.last_at).toLocaleString() : '—'}</td>
                      <td class="example">{seen?.example_message ?? '—'}</td>
                    </tr>
                  )
                })}
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
