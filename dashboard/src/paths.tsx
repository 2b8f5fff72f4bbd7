import type { PathNode, PathsAnswer } from './api.ts'
import { count } from './format.ts'
import {
  Choice,
  InsightLayout,
  type InsightProps,
  NumberField,
  TextField,
  useSpec,
} from './insight-editor.tsx'
import { ANCHORS, type PathsEditor, parsePaths, pathsParams, pathsSpec, STEP_TYPES } from './insight-specs.ts'
import { layoutSankey } from './sankey.ts'

const STEP_NAMES = { page: 'pages', event: 'events' }
const ANCHOR_NAMES = { none: 'each visit’s first step', start: 'starting at…', end: 'ending at…' }

/** The most common sequences of pages or events, as a Sankey (kind `paths`). */
export function Paths({ api, site, window, editor, onEditor }: InsightProps) {
  const e = parsePaths(editor)
  const answer = useSpec<PathsAnswer>(api, site, pathsSpec(e, window))
  const set = (patch: Partial<PathsEditor>) => onEditor(pathsParams({ ...e, ...patch }))
  return (
    <InsightLayout
      title="Paths"
      answer={answer}
      editor={
        <>
          <Choice
            label="Steps"
            value={e.stepType}
            options={STEP_TYPES}
            names={STEP_NAMES}
            onChange={(stepType) => set({ stepType })}
          />
          <Choice
            label="Paths"
            value={e.anchor}
            options={ANCHORS}
            names={ANCHOR_NAMES}
            onChange={(anchor) =>
              set({ anchor, at: anchor === 'none' ? '' : e.at || (e.stepType === 'page' ? '/' : 'pageview') })
            }
          />
          {e.anchor !== 'none' && (
            <TextField
              label={e.stepType === 'page' ? 'Page' : 'Event'}
              value={e.at}
              onCommit={(at) => set(at ? { at } : { at: '', anchor: 'none' })}
            />
          )}
          <NumberField label="Depth" value={e.depth} min={2} max={10} onChange={(depth) => set({ depth })} />
          <NumberField label="Per step" value={e.top} min={1} max={50} onChange={(top) => set({ top })} />
        </>
      }
    >
      {(data) => <Sankey answer={data} />}
    </InsightLayout>
  )
}

/** Cut to the room before the next column (~7 px a character at 13 px); the title has it whole. */
function fit(text: string, px: number): string {
  const chars = Math.max(4, Math.floor(px / 7))
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`
}

const nodeName = (n: PathNode) => (n.other ? `other (${n.values})` : n.name || '(none)')

function Sankey({ answer }: { answer: PathsAnswer }) {
  if (answer.nodes.length === 0)
    return (
      <section class="card">
        <p class="muted">No visit in this range has such a path.</p>
      </section>
    )
  const layout = layoutSankey(answer)
  const steps = Math.max(...layout.nodes.map((n) => n.step))
  const node = (i: number) => answer.nodes[i]!
  const pad = 4
  return (
    <section class="card" aria-labelledby="paths-h">
      <header class="card-head">
        <h2 id="paths-h">Paths</h2>
        <span class="muted small">{count(answer.units)} units; band width = units moving along it</span>
      </header>
      <div class="sankey-wrap">
        <svg
          class="sankey"
          viewBox={`-${pad} -${pad} ${layout.width + 2 * pad} ${layout.height + 2 * pad}`}
          role="img"
          aria-labelledby="paths-h"
          data-ready="true"
        >
          <title>
            Paths over {steps} steps: {count(answer.nodes.length)} nodes, {count(answer.links.length)} links
            (the table below lists them)
          </title>
          <g class="links">
            {layout.links.map((l) => {
              const x0 = layout.nodes[l.source]!.x + layout.nodeWidth
              const x1 = layout.nodes[l.target]!.x
              const mid = (x0 + x1) / 2
              return (
                <path
                  key={`${l.source}-${l.target}`}
                  d={`M${x0},${l.y0}C${mid},${l.y0} ${mid},${l.y1} ${x1},${l.y1}`}
                  stroke-width={Math.max(1, l.width)}
                  data-units={l.units}
                >
                  <title>
                    {nodeName(node(l.source))} → {nodeName(node(l.target))}: {count(l.units)}
                  </title>
                </path>
              )
            })}
          </g>
          {layout.nodes.map((n) => {
            const d = node(n.index)
            const units = ` · ${count(d.units)}`
            const label = fit(nodeName(d), layout.labelWidth - 7 * units.length) + units
            return (
              <g
                key={n.index}
                class={`node${d.other ? ' other' : ''}`}
                data-step={d.step}
                data-name={d.name ?? ''}
                data-units={d.units}
              >
                <rect x={n.x} y={n.y} width={layout.nodeWidth} height={n.height}>
                  <title>
                    Step {d.step}: {nodeName(d)}, {count(d.units)} ({count(d.dropoff)} end here)
                  </title>
                </rect>
                <text x={n.x + layout.nodeWidth + 5} y={n.y + n.height / 2} dy="0.35em">
                  {label}
                </text>
              </g>
            )
          })}
        </svg>
      </div>
      <details>
        <summary>As a table</summary>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Value</th>
                <th scope="col">Units</th>
                <th scope="col">End here</th>
              </tr>
            </thead>
            <tbody>
              {answer.nodes.map((n) => (
                <tr key={n.index}>
                  <td class="num">{n.step}</td>
                  <td>{nodeName(n)}</td>
                  <td class="num">{count(n.units)}</td>
                  <td class="num">{count(n.dropoff)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  )
}
