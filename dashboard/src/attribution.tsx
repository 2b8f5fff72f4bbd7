import type { AttributionAnswer } from './api.ts'
import { count } from './format.ts'
import {
  Choice,
  EventSelect,
  InsightLayout,
  type InsightProps,
  LoadingNames,
  NumberField,
  TextField,
  useEventNames,
  useSpec,
} from './insight-editor.tsx'
import {
  type AttributionEditor,
  attributionParams,
  attributionSpec,
  MODELS,
  parseAttribution,
  TOUCH_LABELS,
} from './insight-specs.ts'

const MODEL_NAMES: Record<(typeof MODELS)[number], string> = {
  last_touch: 'Last touch',
  first_touch: 'First touch',
  linear: 'Linear',
  time_decay: 'Time decay',
  position_based: 'Position based',
  data_driven: 'Data driven',
}
/** Credited conversions are shares: one decimal says enough. */
const credit = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 })

/** Conversions credited to the visits before them, several models side by side (kind `attribution`). */
export function Attribution({ api, site, window, editor, onEditor }: InsightProps) {
  const names = useEventNames(api, site, window)
  const e = parseAttribution(editor, names.state === 'ok' ? names.data : [])
  const answer = useSpec<AttributionAnswer>(
    api,
    site,
    names.state === 'ok' && e.models.length > 0 ? attributionSpec(e, window) : undefined,
  )
  if (names.state !== 'ok') return <LoadingNames names={names} />
  const set = (patch: Partial<AttributionEditor>) => onEditor(attributionParams({ ...e, ...patch }))
  const toggle = (m: (typeof MODELS)[number], on: boolean) => {
    const models = MODELS.filter((x) => (x === m ? on : e.models.includes(x)))
    if (models.length > 0) set({ models })
  }
  return (
    <InsightLayout
      title="Attribution"
      answer={answer}
      editor={
        <>
          <EventSelect
            label="Conversion"
            value={e.conversion}
            names={names.data}
            onChange={(conversion) => set({ conversion })}
          />
          <TextField
            label="Value property"
            placeholder="properties.revenue"
            value={e.value}
            onCommit={(value) =>
              set({ value: value === '' || value.startsWith('properties.') ? value : `properties.${value}` })
            }
          />
          <Choice label="Credit by" value={e.by} options={TOUCH_LABELS} onChange={(by) => set({ by })} />
          <NumberField
            label="Lookback (days)"
            value={e.lookbackDays}
            min={1}
            max={90}
            onChange={(lookbackDays) => set({ lookbackDays })}
          />
          <fieldset class="models">
            <legend>Models</legend>
            {MODELS.map((m) => (
              <label key={m} class="check">
                <input
                  type="checkbox"
                  checked={e.models.includes(m)}
                  disabled={e.models.length === 1 && e.models.includes(m)}
                  onChange={(ev) => toggle(m, (ev.target as HTMLInputElement).checked)}
                />
                {MODEL_NAMES[m]}
              </label>
            ))}
          </fieldset>
        </>
      }
    >
      {(data) => <Models answer={data} by={e.by} withValue={e.value !== ''} />}
    </InsightLayout>
  )
}

function Models({ answer, by, withValue }: { answer: AttributionAnswer; by: string; withValue: boolean }) {
  // Labels in the first available model's order, then any only the others credit.
  const labels: (string | null)[] = []
  for (const r of answer.results)
    for (const c of r.credits) if (!labels.includes(c.label)) labels.push(c.label)
  const cell = (model: string, label: string | null) =>
    answer.results.find((r) => r.model === model)?.credits.find((c) => c.label === label)
  const unavailable = answer.results.filter((r) => !r.available)
  return (
    <section class="card" aria-labelledby="attribution-h">
      <header class="card-head">
        <h2 id="attribution-h">Credited conversions by {by}</h2>
        <span class="muted small">
          {count(answer.conversions)} conversions{withValue ? `, value ${credit.format(answer.revenue)}` : ''}
        </span>
      </header>
      <div class="table-wrap">
        <table class="models-table" data-ready="true">
          <thead>
            <tr>
              <th scope="col">{by}</th>
              {answer.results.map((r) => (
                <th scope="col" key={r.model}>
                  {MODEL_NAMES[r.model as (typeof MODELS)[number]] ?? r.model}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {labels.map((label) => (
              <tr key={label ?? '\u0000'} data-label={label ?? ''}>
                <th scope="row">{label === null ? '(no visit)' : label || '(none)'}</th>
                {answer.results.map((r) => {
                  const c = cell(r.model, label)
                  return (
                    <td key={r.model} class="num" data-model={r.model} data-conversions={c?.conversions ?? 0}>
                      {!r.available ? '—' : c ? credit.format(c.conversions) : '0'}
                      {withValue && c && <div class="muted small">{credit.format(c.revenue)}</div>}
                    </td>
                  )
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {unavailable.map((r) => (
        <p class="muted small" key={r.model} data-unavailable={r.model}>
          {MODEL_NAMES[r.model as (typeof MODELS)[number]] ?? r.model}: {r.reason}
        </p>
      ))}
    </section>
  )
}
