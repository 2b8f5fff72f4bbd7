import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ANCHORS,
  attributionParams,
  attributionSpec,
  funnelParams,
  funnelSpec,
  MODELS,
  ORDERS,
  PERIODS,
  parseAttribution,
  parseFunnel,
  parsePaths,
  parseRetention,
  pathsParams,
  pathsSpec,
  RETENTION_MODES,
  retentionParams,
  retentionSpec,
  STEP_TYPES,
  TOUCH_LABELS,
} from '../src/insight-specs.ts'
import { parseState, serializeState } from '../src/url-state.ts'

const name = fc.string({ minLength: 1, maxLength: 20 })
const NAMES = ['pageview', 'add_to_cart', 'signup', 'purchase']
const w = {
  from: new Date('2024-05-01T00:00:00Z'),
  to: new Date('2024-05-08T00:00:00Z'),
  tz: 'Europe/Berlin',
}
/** Through the whole URL, as a shared link travels. */
const viaUrl = (view: 'funnels' | 'retention' | 'paths' | 'attribution', editor: [string, string][]) =>
  parseState(
    serializeState({ view, site: 's', range: '7d', from: undefined, to: undefined, filters: [], editor }),
  ).editor

describe('insight editors in the URL', () => {
  it('each editor survives the URL unchanged', () => {
    fc.assert(
      fc.property(
        fc.record({
          steps: fc.array(name, { minLength: 2, maxLength: 20 }),
          windowDays: fc.integer({ min: 1, max: 365 }),
          order: fc.constantFrom(...ORDERS),
        }),
        (e) => {
          expect(parseFunnel(viaUrl('funnels', funnelParams(e)), NAMES)).toEqual(e)
        },
      ),
    )
    fc.assert(
      fc.property(
        fc.record({
          start: name,
          returning: fc.oneof(fc.constant(''), name),
          period: fc.constantFrom(...PERIODS),
          mode: fc.constantFrom(...RETENTION_MODES),
        }),
        (e) => {
          expect(parseRetention(viaUrl('retention', retentionParams(e)), NAMES)).toEqual(e)
        },
      ),
    )
    fc.assert(
      fc.property(
        fc.record({
          stepType: fc.constantFrom(...STEP_TYPES),
          anchor: fc.constantFrom(...ANCHORS),
          at: name,
          depth: fc.integer({ min: 2, max: 10 }),
          top: fc.integer({ min: 1, max: 50 }),
        }),
        (e) => {
          const back = parsePaths(viaUrl('paths', pathsParams(e)))
          // Without an anchor the anchor's value is not kept.
          expect(back).toEqual(e.anchor === 'none' ? { ...e, at: '' } : e)
        },
      ),
    )
    fc.assert(
      fc.property(
        fc.record({
          conversion: name,
          value: fc.oneof(
            fc.constant(''),
            name.map((k) => `properties.${k}`),
          ),
          by: fc.constantFrom(...TOUCH_LABELS),
          models: fc.subarray([...MODELS], { minLength: 1 }),
          lookbackDays: fc.integer({ min: 1, max: 90 }),
        }),
        (e) => {
          expect(parseAttribution(viaUrl('attribution', attributionParams(e)), NAMES)).toEqual(e)
        },
      ),
    )
  })

  it('an empty or broken URL gives defaults from the site’s most frequent events', () => {
    expect(
      parseFunnel(
        [
          ['window_days', '0'],
          ['order', 'sideways'],
          ['step', ''],
        ],
        NAMES,
      ),
    ).toEqual({
      steps: ['pageview', 'add_to_cart'],
      windowDays: 7,
      order: 'ordered',
    })
    expect(parseRetention([], NAMES)).toMatchObject({ start: 'pageview', returning: '', period: 'day' })
    expect(
      parsePaths([
        ['anchor', 'start'],
        ['depth', '99'],
      ]),
    ).toMatchObject({ anchor: 'none', depth: 4 })
    expect(
      parseAttribution(
        [
          ['value', 'revenue'],
          ['models', 'magic'],
        ],
        NAMES,
      ),
    ).toMatchObject({
      conversion: 'purchase',
      value: '',
      models: ['last_touch', 'first_touch', 'linear'],
    })
  })
})

describe('the query specs the editors send', () => {
  it('are the API’s spec shapes (docs/api.md), in the site’s zone where a kind takes one', () => {
    const range = { from: '2024-05-01T00:00:00.000Z', to: '2024-05-08T00:00:00.000Z' }
    expect(funnelSpec({ steps: ['pageview', 'purchase'], windowDays: 2, order: 'strict' }, w)).toEqual({
      kind: 'funnel',
      ...range,
      steps: [{ event: 'pageview' }, { event: 'purchase' }],
      window_s: 172_800,
      order: 'strict',
    })
    expect(
      retentionSpec({ start: 'signup', returning: 'pageview', period: 'week', mode: 'recurring' }, w),
    ).toEqual({
      kind: 'retention',
      ...range,
      start: { event: 'signup' },
      return: { event: 'pageview' },
      period: 'week',
      mode: 'recurring',
      tz: 'Europe/Berlin',
    })
    expect(pathsSpec({ stepType: 'page', anchor: 'end', at: '/checkout', depth: 3, top: 2 }, w)).toEqual({
      kind: 'paths',
      ...range,
      step_type: 'page',
      end: '/checkout',
      depth: 3,
      top: 2,
    })
    expect(
      attributionSpec(
        {
          conversion: 'purchase',
          value: 'properties.value',
          by: 'source',
          models: ['linear'],
          lookbackDays: 14,
        },
        w,
      ),
    ).toEqual({
      kind: 'attribution',
      ...range,
      conversion: { event: 'purchase', value: 'properties.value' },
      models: ['linear'],
      by: 'source',
      lookback_days: 14,
    })
  })
})
