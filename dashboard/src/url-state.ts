// What a dashboard URL holds: the view, the site, the range, the filters. Never the key
// (URLs end up in logs and chat). Pure: parse and serialize round-trip (test/url-state.test.ts).

export const VIEWS = ['overview', 'live', 'health', 'audit'] as const
export type View = (typeof VIEWS)[number]

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
}

const DATE = /^\d{4}-\d{2}-\d{2}$/

export function parseState(search: string): ViewState {
  const q = new URLSearchParams(search)
  const view = q.get('view')
  const range = q.get('range')
  const from = q.get('from') ?? undefined
  const to = q.get('to') ?? undefined
  const custom =
    range === 'custom' && from !== undefined && to !== undefined && DATE.test(from) && DATE.test(to)
  return {
    view: (VIEWS as readonly string[]).includes(view ?? '') ? (view as View) : 'overview',
    site: q.get('site') || undefined,
    range: custom
      ? 'custom'
      : (RANGE_KINDS as readonly string[]).includes(range ?? '') && range !== 'custom'
        ? (range as RangeKind)
        : '7d',
    from: custom ? from : undefined,
    to: custom ? to : undefined,
    filters: q.getAll('f').flatMap(parseFilter),
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
  const text = q.toString()
  return text ? `?${text}` : ''
}

/** Adds a filter, replacing one on the same dimension (a row click narrows, never stacks). */
export function withFilter(filters: Filter[], next: Filter): Filter[] {
  return [...filters.filter((f) => f.dimension !== next.dimension), next]
}
