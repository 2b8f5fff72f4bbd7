// What a dashboard URL holds: the view, the site, the range, the filters, and an insight
// view's editor. Never the key (URLs end up in logs and chat). Pure: parse and serialize
// round-trip (test/url-state.test.ts).
import type { EditorParams } from './insight-specs.ts'

/** Every key an insight view's editor writes (insight-specs.ts); a URL's other keys are the shell's or ignored (never a secret). */
export const EDITOR_KEYS: ReadonlySet<string> = new Set([
  'step',
  'window_days',
  'order',
  'start',
  'return',
  'period',
  'mode',
  'step_type',
  'anchor',
  'at',
  'depth',
  'top',
  'conversion',
  'value',
  'by',
  'models',
  'lookback_days',
])

export const INSIGHT_VIEWS = ['funnels', 'retention', 'paths', 'attribution'] as const
export const VIEWS = ['overview', 'live', 'health', 'audit', ...INSIGHT_VIEWS] as const
export type View = (typeof VIEWS)[number]
export type InsightView = (typeof INSIGHT_VIEWS)[number]

export function isInsightView(view: View): view is InsightView {
  return (INSIGHT_VIEWS as readonly string[]).includes(view)
}

export const RANGE_KINDS = ['today', '7d', '30d', 'month', 'custom'] as const
export type RangeKind = (typeof RANGE_KINDS)[number]

/** The breakdown dimensions a row click can filter on (docs/api.md, breakdown). */
export const DIMENSIONS = [
  'page',
  'entry_page',
  'exit_page',
  'source',
  'channel',
  'campaign',
  'country',
  'device_type',
  'browser',
  'os',
] as const
export type Dimension = (typeof DIMENSIONS)[number]

export interface Filter {
  dimension: Dimension
  op: 'is'
  value: string
}

export interface ViewState {
  view: View
  site: string | undefined
  range: RangeKind
  /** Custom range: local dates, both inclusive (YYYY-MM-DD). */
  from: string | undefined
  to: string | undefined
  filters: Filter[]
  /** The insight view's editor, as key/value pairs in URL order ([] on the other views). */
  editor: EditorParams
}

const DATE = /^\d{4}-\d{2}-\d{2}$/

export function parseState(search: string): ViewState {
  const q = new URLSearchParams(search)
  const named = q.get('view')
  const view = (VIEWS as readonly string[]).includes(named ?? '') ? (named as View) : 'overview'
  const range = q.get('range')
  const from = q.get('from') ?? undefined
  const to = q.get('to') ?? undefined
  const custom =
    range === 'custom' && from !== undefined && to !== undefined && DATE.test(from) && DATE.test(to)
  return {
    view,
    site: q.get('site') || undefined,
    range: custom
      ? 'custom'
      : (RANGE_KINDS as readonly string[]).includes(range ?? '') && range !== 'custom'
        ? (range as RangeKind)
        : '7d',
    from: custom ? from : undefined,
    to: custom ? to : undefined,
    filters: q.getAll('f').flatMap(parseFilter),
    editor: isInsightView(view) ? [...q.entries()].filter(([k]) => EDITOR_KEYS.has(k)) : [],
  }
}

/** One filter as `dimension:value` (the value may itself contain colons). */
function parseFilter(text: string): Filter[] {
  const at = text.indexOf(':')
  if (at < 0) return []
  const dimension = text.slice(0, at)
  if (!(DIMENSIONS as readonly string[]).includes(dimension)) return []
  return [{ dimension: dimension as Dimension, op: 'is', value: text.slice(at + 1) }]
}

export function serializeState(s: ViewState): string {
  const q = new URLSearchParams()
  if (s.site) q.set('site', s.site)
  if (s.view !== 'overview') q.set('view', s.view)
  if (s.range !== '7d') q.set('range', s.range)
  if (s.range === 'custom' && s.from && s.to) {
    q.set('from', s.from)
    q.set('to', s.to)
  }
  for (const f of s.filters) q.append('f', `${f.dimension}:${f.value}`)
  if (isInsightView(s.view)) for (const [k, v] of s.editor) if (EDITOR_KEYS.has(k)) q.append(k, v)
  const text = q.toString()
  return text ? `?${text}` : ''
}

/** Adds a filter, replacing one on the same dimension (a row click narrows, never stacks). */
export function withFilter(filters: Filter[], next: Filter): Filter[] {
  return [...filters.filter((f) => f.dimension !== next.dimension), next]
}
