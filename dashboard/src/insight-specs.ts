// The editors of the Funnels, Retention, Paths and Attribution views: what each holds, how it
// reads from and writes to the URL (so an edited insight can be shared like the Overview),
// and the query spec it sends to POST /v1/sites/:site/query (docs/api.md). Pure: the URL
// round-trip and the specs are tested in test/insight-specs.test.ts.

/** The parts of the URL that are not the shell's (site, view, range, filters). */
export type EditorParams = [string, string][]

export interface SpecWindow {
  from: Date
  to: Date
  /** The site's time zone: retention periods and funnel trend buckets align to it. */
  tz: string
}

export const ORDERS = ['ordered', 'strict', 'any_order'] as const
export const PERIODS = ['day', 'week', 'month'] as const
export const RETENTION_MODES = ['first_time', 'recurring'] as const
export const STEP_TYPES = ['page', 'event'] as const
export const ANCHORS = ['none', 'start', 'end'] as const
export const TOUCH_LABELS = ['channel', 'source', 'medium', 'campaign'] as const
export const MODELS = [
  'last_touch',
  'first_touch',
  'linear',
  'time_decay',
  'position_based',
  'data_driven',
] as const

export const MAX_FUNNEL_STEPS = 20

export interface FunnelEditor {
  steps: string[]
  windowDays: number
  order: (typeof ORDERS)[number]
}
export interface RetentionEditor {
  start: string
  /** '' = any event. */
  returning: string
  period: (typeof PERIODS)[number]
  mode: (typeof RETENTION_MODES)[number]
}
export interface PathsEditor {
  stepType: (typeof STEP_TYPES)[number]
  anchor: (typeof ANCHORS)[number]
  /** The page path or event name of the anchor (when there is one). */
  at: string
  depth: number
  top: number
}
export interface AttributionEditor {
  conversion: string
  /** A numeric property summed as revenue (`properties.value`), or '' for none. */
  value: string
  by: (typeof TOUCH_LABELS)[number]
  models: (typeof MODELS)[number][]
  lookbackDays: number
}

const range = (w: SpecWindow) => ({ from: w.from.toISOString(), to: w.to.toISOString() })
const get = (p: EditorParams, key: string) => p.find(([k]) => k === key)?.[1]
const all = (p: EditorParams, key: string) => p.filter(([k]) => k === key).map(([, v]) => v)
function oneOf<T extends string>(values: readonly T[], text: string | undefined, fallback: T): T {
  return (values as readonly string[]).includes(text ?? '') ? (text as T) : fallback
}
function int(text: string | undefined, min: number, max: number, fallback: number): number {
  const n = Number(text)
  return Number.isInteger(n) && n >= min && n <= max ? n : fallback
}

/**
 * Defaults come from the site's own event names (most frequent first), so a new view shows
 * something at once: the two most frequent names as a funnel, the most frequent as a
 * retention start, the least frequent of the first few as a conversion.
 */
export function parseFunnel(p: EditorParams, names: string[]): FunnelEditor {
  const steps = all(p, 'step').filter(Boolean).slice(0, MAX_FUNNEL_STEPS)
  return {
    steps: steps.length > 0 ? steps : names.slice(0, 2),
    windowDays: int(get(p, 'window_days'), 1, 365, 7),
    order: oneOf(ORDERS, get(p, 'order'), 'ordered'),
  }
}
export function funnelParams(e: FunnelEditor): EditorParams {
  return [
    ...e.steps.map((s): [string, string] => ['step', s]),
    ['window_days', String(e.windowDays)],
    ['order', e.order],
  ]
}
export function funnelSpec(e: FunnelEditor, w: SpecWindow) {
  return {
    kind: 'funnel',
    ...range(w),
    steps: e.steps.map((event) => ({ event })),
    window_s: e.windowDays * 86_400,
    order: e.order,
  }
}

export function parseRetention(p: EditorParams, names: string[]): RetentionEditor {
  return {
    start: get(p, 'start') || names[0] || 'pageview',
    returning: get(p, 'return') ?? '',
    period: oneOf(PERIODS, get(p, 'period'), 'day'),
    mode: oneOf(RETENTION_MODES, get(p, 'mode'), 'first_time'),
  }
}
export function retentionParams(e: RetentionEditor): EditorParams {
  return [
    ['start', e.start],
    ...(e.returning ? [['return', e.returning] as [string, string]] : []),
    ['period', e.period],
    ['mode', e.mode],
  ]
}
export function retentionSpec(e: RetentionEditor, w: SpecWindow) {
  return {
    kind: 'retention',
    ...range(w),
    start: { event: e.start },
    ...(e.returning ? { return: { event: e.returning } } : {}),
    period: e.period,
    mode: e.mode,
    tz: w.tz,
  }
}

export function parsePaths(p: EditorParams): PathsEditor {
  const at = get(p, 'at') ?? ''
  return {
    stepType: oneOf(STEP_TYPES, get(p, 'step_type'), 'page'),
    anchor: at ? oneOf(ANCHORS, get(p, 'anchor'), 'none') : 'none',
    at,
    depth: int(get(p, 'depth'), 2, 10, 4),
    top: int(get(p, 'top'), 1, 50, 5),
  }
}
export function pathsParams(e: PathsEditor): EditorParams {
  return [
    ['step_type', e.stepType],
    ...(e.anchor !== 'none' && e.at
      ? [['anchor', e.anchor] as [string, string], ['at', e.at] as [string, string]]
      : []),
    ['depth', String(e.depth)],
    ['top', String(e.top)],
  ]
}
export function pathsSpec(e: PathsEditor, w: SpecWindow) {
  return {
    kind: 'paths',
    ...range(w),
    step_type: e.stepType,
    ...(e.anchor !== 'none' && e.at ? { [e.anchor]: e.at } : {}),
    depth: e.depth,
    top: e.top,
  }
}

export function parseAttribution(p: EditorParams, names: string[]): AttributionEditor {
  const models = (get(p, 'models') ?? '').split(',').filter((m) => (MODELS as readonly string[]).includes(m))
  const value = get(p, 'value') ?? ''
  return {
    conversion: get(p, 'conversion') || names.slice(0, 4).at(-1) || 'pageview',
    value: /^properties\..{1,200}$/s.test(value) ? value : '',
    by: oneOf(TOUCH_LABELS, get(p, 'by'), 'channel'),
    models:
      models.length > 0 ? (models as AttributionEditor['models']) : ['last_touch', 'first_touch', 'linear'],
    lookbackDays: int(get(p, 'lookback_days'), 1, 90, 30),
  }
}
export function attributionParams(e: AttributionEditor): EditorParams {
  return [
    ['conversion', e.conversion],
    ...(e.value ? [['value', e.value] as [string, string]] : []),
    ['by', e.by],
    ['models', e.models.join(',')],
    ['lookback_days', String(e.lookbackDays)],
  ]
}
export function attributionSpec(e: AttributionEditor, w: SpecWindow) {
  return {
    kind: 'attribution',
    ...range(w),
    conversion: { event: e.conversion, ...(e.value ? { value: e.value } : {}) },
    models: e.models,
    by: e.by,
    lookback_days: e.lookbackDays,
  }
}
