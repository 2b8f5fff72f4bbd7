import type { FunnelAnswer } from './api.ts'
import { count, duration, percent } from './format.ts'
import {
  Choice,
  EventSelect,
  InsightLayout,
  type InsightProps,
  LoadingNames,
  NumberField,
  useEventNames,
  useSpec,
} from './insight-editor.tsx'
import {
  type FunnelEditor,
  funnelParams,
  funnelSpec,
  MAX_FUNNEL_STEPS,
  ORDERS,
  parseFunnel,
} from './insight-specs.ts'

const ORDER_NAMES = { ordered: 'in order', strict: 'strictly in order', any_order: 'in any order' }

/** Persons reaching each step (kind `funnel`, docs/funnels-retention.md). */
export function Funnels({ api, site, window, editor, onEditor }: InsightProps) {
  const names = useEventNames(api, site, window)
  const e = parseFunnel(editor, names.state === 'ok' ? names.data : [])
  const ready = names.state === 'ok' && e.steps.length >= 2
  const answer = useSpec<FunnelAnswer>(api, site, ready ? funnelSpec(e, window) : undefined)
  if (names.state !== 'ok') return <LoadingNames names={names} />
  const set = (patch: Partial<FunnelEditor>) => onEditor(funnelParams({ ...e, ...patch }))
  const setStep = (i: number, name: string) => set({ steps: e.steps.map((s, j) => (j === i ? name : s)) })
  return (
    <InsightLayout
      title="Funnel"
      answer={ready ? answer : { state: 'error', message: 'A funnel needs at least two steps.' }}
      editor={
        <>
          <fieldset class="steps">
            <legend>Steps</legend>
            <ol>
              {e.steps.map((s, i) => (
                <li key={i}>
                  <EventSelect
                    label={`Step ${i + 1}`}
                    value={s}
                    names={names.data}
                    onChange={(v) => setStep(i, v)}
                  />
                  <button
                    type="button"
                    class="link"
                    aria-label={`Remove step ${i + 1}`}
                    disabled={e.steps.length <= 2}
                    onClick={() => set({ steps: e.steps.filter((_, j) => j !== i) })}
                  >
                    Remove
                  </button>
                </li>
              ))}
            </ol>
            <button
              type="button"
              disabled={e.steps.length >= MAX_FUNNEL_STEPS}
              onClick={() =>
                set({ steps: [...e.steps, names.data.find((n) => !e.steps.includes(n)) ?? e.steps.at(-1)!] })
              }
            >
              Add step
            </button>
          </fieldset>
          <NumberField
            label="Window (days)"
            value={e.windowDays}
            min={1}
            max={365}
            onChange={(windowDays) => set({ windowDays })}
          />
          <Choice
            label="Order"
            value={e.order}
            options={ORDERS}
            names={ORDER_NAMES}
            onChange={(order) => set({ order })}
          />
        </>
      }
    >
      {(data) => <FunnelChart answer={data} />}
    </InsightLayout>
  )
}

function FunnelChart({ answer }: { answer: FunnelAnswer }) {
  const first = answer.steps[0]?.persons ?? 0
  return (
    <section class="card" aria-labelledby="funnel-h">
      <header class="card-head">
        <h2 id="funnel-h">Funnel</h2>
        <span class="muted small">persons (merged across devices), best attempt each</span>
      </header>
      <ol class="funnel" data-ready="true">
        {answer.steps.map((s) => (
          <li key={s.step} data-step={s.step} data-persons={s.persons}>
            <div class="funnel-head">
              <span>
                {s.step}. <strong>{s.event === '$pageview' ? 'pageview' : s.event}</strong>
              </span>
              <span class="funnel-num">{count(s.persons)}</span>
            </div>
            <div class="funnel-bar" aria-hidden="true">
              <span style={{ width: `${first ? (s.persons / first) * 100 : 0}%` }} />
            </div>
            <div class="muted small">
              {s.step === 1
                ? `${count(s.dropped)} dropped after this step`
                : `${percent(s.conversion_from_previous)} of the previous step · ${percent(s.conversion_from_first)} of the first${
                    s.median_time_s === null ? '' : ` · median ${duration(s.median_time_s)} from the previous`
                  }`}
            </div>
          </li>
        ))}
      </ol>
    </section>
  )
}
