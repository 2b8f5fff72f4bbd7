import type { RetentionAnswer } from './api.ts'
import { count, percent } from './format.ts'
import {
  Choice,
  EventSelect,
  InsightLayout,
  type InsightProps,
  LoadingNames,
  useEventNames,
  useSpec,
} from './insight-editor.tsx'
import {
  PERIODS,
  parseRetention,
  RETENTION_MODES,
  type RetentionEditor,
  retentionParams,
  retentionSpec,
} from './insight-specs.ts'

const MODE_NAMES = { first_time: 'first time', recurring: 'every time' }

/** Cohorts by the period of a start event and who came back (kind `retention`). */
export function Retention({ api, site, window, editor, onEditor }: InsightProps) {
  const names = useEventNames(api, site, window)
  const e = parseRetention(editor, names.state === 'ok' ? names.data : [])
  const answer = useSpec<RetentionAnswer>(
    api,
    site,
    names.state === 'ok' ? retentionSpec(e, window) : undefined,
  )
  if (names.state !== 'ok') return <LoadingNames names={names} />
  const set = (patch: Partial<RetentionEditor>) => onEditor(retentionParams({ ...e, ...patch }))
  return (
    <InsightLayout
      title="Retention"
      answer={answer}
      editor={
        <>
          <EventSelect
            label="Start event"
            value={e.start}
            names={names.data}
            onChange={(start) => set({ start })}
          />
          <EventSelect
            label="Return event"
            value={e.returning}
            names={names.data}
            anyLabel="any event"
            onChange={(returning) => set({ returning })}
          />
          <Choice label="Period" value={e.period} options={PERIODS} onChange={(period) => set({ period })} />
          <Choice
            label="Cohort by"
            value={e.mode}
            options={RETENTION_MODES}
            names={MODE_NAMES}
            onChange={(mode) => set({ mode })}
          />
        </>
      }
    >
      {(data) => <CohortTable answer={data} />}
    </InsightLayout>
  )
}

/** The period's start as a local date (or date and hour) of the site's zone. */
function periodLabel(iso: string, tz: string): string {
  return new Date(iso).toLocaleDateString(undefined, {
    timeZone: tz,
    month: 'short',
    day: 'numeric',
    year: 'numeric',
  })
}

function CohortTable({ answer }: { answer: RetentionAnswer }) {
  const periods = Math.max(0, ...answer.cohorts.map((c) => c.retained.length))
  return (
    <section class="card" aria-labelledby="retention-h">
      <header class="card-head">
        <h2 id="retention-h">Retention by {answer.period}</h2>
        <span class="muted small">cohort periods in {answer.tz}; shade = share of the cohort returning</span>
      </header>
      <div class="table-wrap">
        <table class="cohorts" data-ready="true">
          <thead>
            <tr>
              <th scope="col">Cohort</th>
              <th scope="col">Persons</th>
              {Array.from({ length: periods }, (_, k) => (
                <th scope="col" key={k}>
                  {answer.period} {k}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {answer.cohorts.map((c) => (
              <tr key={c.period_start} data-cohort={c.period_start}>
                <th scope="row">{periodLabel(c.period_start, answer.tz)}</th>
                <td class="num">{count(c.persons)}</td>
                {Array.from({ length: periods }, (_, k) => {
                  const r = c.retained[k]
                  if (!r) return <td key={k} class="heat empty" />
                  // Mixed at most half-way to the accent, so the text keeps AA contrast in both themes.
                  const mix = Math.round(r.rate * 50)
                  return (
                    <td
                      key={k}
                      class="heat num"
                      data-period={r.period}
                      data-persons={r.persons}
                      title={`${count(r.persons)} of ${count(c.persons)}`}
                      style={{ background: `color-mix(in srgb, var(--accent) ${mix}%, var(--panel))` }}
                    >
                      {c.persons ? percent(r.rate) : '—'}
                    </td>
                  )
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
