import { useState } from 'preact/hooks'
import { type Api, ApiError, type Explained } from './api.ts'
import { useLoad } from './hooks.ts'
import { overviewQueries } from './queries.ts'
import type { Window } from './ranges.ts'
import type { Dimension, Filter } from './url-state.ts'

interface Props {
  api: Api
  site: string
  window: Window
  filters: Filter[]
  tabs: Record<string, Dimension>
}

const EXAMPLE = `SELECT event, count() AS events, uniqExact(anonymous_id) AS people
FROM events
WHERE ts >= now() - INTERVAL 7 DAY
GROUP BY event
ORDER BY events DESC
LIMIT 20`

/** A trends chart is answered from the hourly rollup when it may; that plan is shown too. */
function RollupPlan({ explained }: { explained: Explained }) {
  const rollup = explained.rollup
  if (rollup === undefined || !('sql' in rollup)) return null
  return (
    <>
      <p class="muted">Answered from the hourly rollup instead (the answer's meta.source says so):</p>
      <pre class="sql">{rollup.sql}</pre>
      <pre class="params">{JSON.stringify(rollup.params, null, 2)}</pre>
    </>
  )
}

/** For every chart of the Overview as it stands, the SQL and parameters behind it; and a console. */
export function Audit({ api, site, window, filters, tabs }: Props) {
  const queries = overviewQueries(window, filters, tabs, window.tz)
  const explained = useLoad(
    (signal) =>
      Promise.all(
        queries.map((q) => api.insight<Explained>(site, q.kind, { ...q.params, explain: 'true' }, signal)),
      ),
    [site, JSON.stringify(queries)],
  )
  return (
    <div class="audit">
      <SqlConsole api={api} site={site} />
      <h2>The SQL behind each chart</h2>
      <p class="muted">
        Asked with <code>explain=1</code>: every value is a bound parameter, never part of the SQL text.
      </p>
      {explained.state === 'loading' && <p class="muted">Loading…</p>}
      {explained.state === 'error' && (
        <p class="error" role="alert">
          {explained.message}
        </p>
      )}
      {explained.state === 'ok' &&
        queries.map((q, i) => (
          <details class="card explain" key={q.id} data-chart={q.id}>
            <summary>
              {q.title}{' '}
              <code class="muted">
                GET /v1/sites/{site}/{q.kind}?{new URLSearchParams(q.params).toString()}
              </code>
            </summary>
            <pre class="sql">{explained.data[i]!.sql}</pre>
            <pre class="params">{JSON.stringify(explained.data[i]!.params, null, 2)}</pre>
            <RollupPlan explained={explained.data[i]!} />
          </details>
        ))}
    </div>
  )
}

interface SqlAnswer {
  rows: Record<string, unknown>[]
  meta: { columns: string[]; rows: number; elapsed_ms: number; sql?: string }
}

function SqlConsole({ api, site }: { api: Api; site: string }) {
  const [text, setText] = useState(EXAMPLE)
  const [answer, setAnswer] = useState<SqlAnswer>()
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  async function run(e: Event) {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      setAnswer(await api.sql<SqlAnswer>(site, { sql: text, explain: true }))
    } catch (err) {
      setAnswer(undefined)
      setError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <section class="card" aria-labelledby="console-h">
      <header class="card-head">
        <h2 id="console-h">SQL console</h2>
        <span class="muted small">read-only, this site's rows only (POST /v1/sites/{site}/sql)</span>
      </header>
      <form onSubmit={run}>
        <label for="sql" class="sr-only">
          SQL
        </label>
        <textarea
          id="sql"
          rows={7}
          spellcheck={false}
          value={text}
          onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) run(e)
          }}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Running…' : 'Run (Ctrl+Enter)'}
        </button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {answer && (
        <>
          <p class="muted small" data-rows={answer.meta.rows}>
            {answer.meta.rows} rows in {Math.round(answer.meta.elapsed_ms)} ms
          </p>
          <div class="table-wrap">
            <table class="result">
              <thead>
                <tr>
                  {answer.meta.columns.map((c) => (
                    <th key={c} scope="col">
                      {c}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {answer.rows.map((r, i) => (
                  <tr key={i}>
                    {answer.meta.columns.map((c) => (
                      <td key={c}>{typeof r[c] === 'object' ? JSON.stringify(r[c]) : String(r[c])}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {answer.meta.sql && (
            <details>
              <summary>As it ran (confined to this site)</summary>
              <pre class="sql">{answer.meta.sql}</pre>
            </details>
          )}
        </>
      )}
    </section>
  )
}
