import { describe, expect, it } from 'vitest'
import {
  attribute,
  type ConvertingPath,
  type Credit,
  MODELS,
  positionWeights,
  timeDecayWeights,
} from './attribution-models.ts'
import { removalEffects } from './markov.ts'

const DAY = 86_400_000
const HALF_LIFE = 7 * DAY

/** One conversion as the warehouse would group it (a path of one). */
function conversion(touches: Array<[label: string, ageDays: number]>, value: number): ConvertingPath {
  const w = timeDecayWeights(
    touches.map(([, age]) => age * DAY),
    HALF_LIFE,
  )
  return {
    labels: touches.map(([label]) => label),
    conversions: 1,
    revenue: value,
    decay: w,
    decayRevenue: w.map((x) => x * value),
  }
}

/**
 * Four conversions, worked by hand:
 *   A: email (14 days before), search (7 days), direct (0) — value 100
 *   B: search (1 day), search (0) — value 50
 *   C: email (0) — value 0
 *   D: no touch — value 10
 * Time decay (half-life 7 days) for A: raw 2^-2, 2^-1, 2^0 = 0.25, 0.5, 1 → 1/7, 2/7, 4/7.
 * B's two touches are both search, so search gets all of B in every model.
 */
const CASES = [
  conversion(
    [
      ['email', 14],
      ['search', 7],
      ['direct', 0],
    ],
    100,
  ),
  conversion(
    [
      ['search', 1],
      ['search', 0],
    ],
    50,
  ),
  conversion([['email', 0]], 0),
  conversion([], 10),
]

const expected: Record<string, Record<string, [number, number]>> = {
  last_touch: { direct: [1, 100], search: [1, 50], email: [1, 0], null: [1, 10] },
  first_touch: { email: [2, 100], search: [1, 50], null: [1, 10] },
  linear: { email: [4 / 3, 100 / 3], search: [4 / 3, 100 / 3 + 50], direct: [1 / 3, 100 / 3], null: [1, 10] },
  time_decay: {
    search: [9 / 7, 200 / 7 + 50],
    email: [8 / 7, 100 / 7],
    direct: [4 / 7, 400 / 7],
    null: [1, 10],
  },
  position_based: { email: [1.4, 40], search: [1.2, 70], direct: [0.4, 40], null: [1, 10] },
}

function byLabel(credits: Credit[]): Record<string, [number, number]> {
  return Object.fromEntries(credits.map((c) => [String(c.label), [c.conversions, c.revenue]]))
}

describe('heuristic models, hand-computed', () => {
  const results = attribute(MODELS.slice(0, 5), CASES, [], { minConversions: 1 })
  for (const result of results) {
    it(`${result.model} credits each label as worked out by hand`, () => {
      const got = byLabel(result.credits)
      const want = expected[result.model]!
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort())
      for (const [label, [conversions, revenue]] of Object.entries(want)) {
        expect(got[label]![0], `${label} conversions`).toBeCloseTo(conversions, 12)
        expect(got[label]![1], `${label} revenue`).toBeCloseTo(revenue, 12)
      }
      expect(result.conversions).toBe(4)
      expect(result.revenue).toBe(160)
      const total = result.credits.reduce((s, c) => s + c.conversions, 0)
      expect(total).toBeCloseTo(4, 12)
      expect(result.credits.at(-1)!.label).toBeNull()
    })
  }

  it('position_based splits 40/20/40, one touch 100 %, two 50/50', () => {
    expect(positionWeights(1)).toEqual([1])
    expect(positionWeights(2)).toEqual([0.5, 0.5])
    expect(positionWeights(3)).toEqual([0.4, 0.2, 0.4])
    expect(positionWeights(4).map((w) => Number(w.toFixed(12)))).toEqual([0.4, 0.1, 0.1, 0.4])
  })

  it('time decay halves a touch every half-life', () => {
    const [old, recent] = timeDecayWeights([7 * DAY, 0], HALF_LIFE)
    expect(old).toBeCloseTo(1 / 3, 12)
    expect(recent).toBeCloseTo(2 / 3, 12)
    // A different half-life: 3.5 days makes the 7-day-old touch weigh 1/4 of the newest.
    const [a, b] = timeDecayWeights([7 * DAY, 0], 3.5 * DAY)
    expect(a).toBeCloseTo(1 / 5, 12)
    expect(b).toBeCloseTo(4 / 5, 12)
  })

  it('time decay stays finite when every touch is thousands of half-lives old', () => {
    // A server-side conversion 20 and 25 days after its touches, half-life 0.01 days:
    // 2^-2000 and 2^-2500 underflow to 0 (0 / 0), yet the weights are those of ages 5 days
    // and 0: 2^-500 (about 3e-151) and 1, normalised.
    const [older, newer] = timeDecayWeights([25 * DAY, 20 * DAY], 0.01 * DAY)
    expect(older).toBeCloseTo(2 ** -500, 160)
    expect(older).toBeGreaterThan(0)
    expect(newer).toBe(1)
    const [x, y] = timeDecayWeights([20 * DAY + 0.01 * DAY, 20 * DAY], 0.01 * DAY)
    expect(x).toBeCloseTo(1 / 3, 12)
    expect(y).toBeCloseTo(2 / 3, 12)
  })
})

/**
 * The three-channel example, by hand. Paths:
 *   C1 → C2 → C3 → conversion;  C1 → null;  C2 → C3 → null
 * Transitions: start→C1 2/3, start→C2 1/3; C1→C2 1/2, C1→null 1/2; C2→C3 1; C3→conv 1/2, C3→null 1/2.
 * P(conv | C3) = 1/2, P(conv | C2) = 1/2, P(conv | C1) = 1/4, P(conv) = 2/3·1/4 + 1/3·1/2 = 1/3.
 * Without C1: only start→C2 survives: 1/3·1/2 = 1/6, removal effect 1 − (1/6)/(1/3) = 1/2.
 * Without C2 or C3 no walk converts: removal effect 1 each.
 * Shares: 0.5/2.5 = 0.2, 0.4, 0.4 of the one conversion.
 */
const THREE_CHANNELS = [
  { labels: ['C1', 'C2', 'C3'], conversions: 1, nonConversions: 0 },
  { labels: ['C1'], conversions: 0, nonConversions: 1 },
  { labels: ['C2', 'C3'], conversions: 0, nonConversions: 1 },
]

describe('data_driven (Markov removal effect)', () => {
  it('matches the hand-computed three-channel example', () => {
    const { probability, effects } = removalEffects(THREE_CHANNELS)
    expect(probability).toBeCloseTo(1 / 3, 12)
    expect(effects.get('C1')).toBeCloseTo(0.5, 12)
    expect(effects.get('C2')).toBeCloseTo(1, 12)
    expect(effects.get('C3')).toBeCloseTo(1, 12)
  })

  it('turns removal effects into shares of the conversions and revenue', () => {
    const [result] = attribute(
      ['data_driven'],
      [{ labels: ['C1', 'C2', 'C3'], conversions: 1, revenue: 90, decay: [], decayRevenue: [] }],
      [
        { labels: ['C1'], count: 1 },
        { labels: ['C2', 'C3'], count: 1 },
      ],
      { minConversions: 1 },
    )
    expect(result!.available).toBe(true)
    const got = byLabel(result!.credits)
    expect(got.C1![0]).toBeCloseTo(0.2, 12)
    expect(got.C2![0]).toBeCloseTo(0.4, 12)
    expect(got.C3![0]).toBeCloseTo(0.4, 12)
    expect(got.C2![1]).toBeCloseTo(36, 12)
  })

  it('ignores repeated labels in a row and handles loops (C1 → C2 → C1)', () => {
    // Repeats: C1 C1 → conv is the same chain as C1 → conv.
    const repeated = removalEffects([
      { labels: ['C1', 'C1', 'C2'], conversions: 2, nonConversions: 0 },
      { labels: ['C2'], conversions: 0, nonConversions: 2 },
    ])
    const plain = removalEffects([
      { labels: ['C1', 'C2'], conversions: 2, nonConversions: 0 },
      { labels: ['C2'], conversions: 0, nonConversions: 2 },
    ])
    expect(repeated.effects.get('C1')).toBeCloseTo(plain.effects.get('C1')!, 12)
    // A loop, by hand: start→C1 1; C1→C2 1; C2→C1 1/2, C2→conv 1/2.
    // x2 = 1/2 x1 + 1/2, x1 = x2 → x1 = 1: every walk converts. Without C1: 0; without C2: 0.
    const loop = removalEffects([{ labels: ['C1', 'C2', 'C1', 'C2'], conversions: 1, nonConversions: 0 }])
    expect(loop.probability).toBeCloseTo(1, 12)
    expect(loop.effects.get('C1')).toBeCloseTo(1, 12)
  })

  it('below the minimum number of conversions returns no credit and says why', () => {
    const [result] = attribute(['data_driven'], [conversion([['email', 0]], 5)], [], { minConversions: 2 })
    expect(result).toMatchObject({ available: false, conversions: 0, credits: [] })
    expect(result!.reason).toContain('at least 2 conversions')
  })
})
