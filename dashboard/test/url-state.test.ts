import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  DIMENSIONS,
  EDITOR_KEYS,
  isInsightView,
  parseState,
  RANGE_KINDS,
  serializeState,
  VIEWS,
  type ViewState,
  withFilter,
} from '../src/url-state.ts'

const editorPairs = fc.array(fc.tuple(fc.constantFrom(...EDITOR_KEYS), fc.string()), { maxLength: 6 })
const state = fc.record<ViewState>({
  view: fc.constantFrom(...VIEWS),
  editor: fc.constant([]),
  site: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
  range: fc.constantFrom(...RANGE_KINDS),
  from: fc.constant(undefined),
  to: fc.constant(undefined),
  filters: fc.uniqueArray(
    fc.record({
      dimension: fc.constantFrom(...DIMENSIONS),
      op: fc.constant('is' as const),
      value: fc.string(),
    }),
    { selector: (f) => f.dimension, maxLength: 4 },
  ),
})

describe('dashboard URL state', () => {
  it('round-trips every view, site, range and filter (values with colons, spaces, unicode)', () => {
    fc.assert(
      fc.property(state, editorPairs, (s, pairs) => {
        const custom = s.range === 'custom' ? { ...s, from: '2024-03-01', to: '2024-03-31' } : s
        // Only an insight view has an editor; its pairs keep their order (repeated steps).
        const full = { ...custom, editor: isInsightView(custom.view) ? pairs : [] }
        expect(parseState(serializeState(full))).toEqual(full)
      }),
    )
  })

  it('falls back to the Overview of the last 7 days on anything unknown, and never reads a key', () => {
    expect(parseState('?view=admin&range=year&f=nope:x&f=country&key=rk_secret_value_123')).toEqual({
      view: 'overview',
      site: undefined,
      range: '7d',
      from: undefined,
      to: undefined,
      filters: [],
      editor: [],
    })
    // An insight view keeps its editor's keys and nothing else from the URL.
    expect(parseState('?view=funnels&step=a&key=rk_secret_value_123&step=b&order=strict').editor).toEqual([
      ['step', 'a'],
      ['step', 'b'],
      ['order', 'strict'],
    ])
    // A custom range needs both dates in YYYY-MM-DD.
    expect(parseState('?range=custom&from=2024-01-01').range).toBe('7d')
    expect(parseState('?range=custom&from=2024-01-01&to=2024-02-01')).toMatchObject({
      range: 'custom',
      from: '2024-01-01',
      to: '2024-02-01',
    })
  })

  it('a row click replaces the filter on its dimension and keeps the others', () => {
    const f = withFilter(
      [
        { dimension: 'country', op: 'is', value: 'DE' },
        { dimension: 'page', op: 'is', value: '/' },
      ],
      { dimension: 'country', op: 'is', value: 'FR' },
    )
    expect(f).toEqual([
      { dimension: 'page', op: 'is', value: '/' },
      { dimension: 'country', op: 'is', value: 'FR' },
    ])
  })
})
