/**
 * First-order Markov-chain attribution (the removal effect of Anderl et al., 2016), pure.
 *
 * Every path is a walk start → touch labels → conversion (converting paths) or → null (paths
 * that did not convert). Transition probabilities are the observed transition counts out of
 * each state. P(conversion) is the probability that a walk from start is absorbed in
 * conversion; the removal effect of a label is the share of that probability lost when the
 * label is removed (every transition into it goes to null instead):
 *   RE(c) = 1 − P(conversion without c) / P(conversion).
 * Self-transitions (the same label twice in a row) do not change absorption probabilities,
 * so they are dropped before solving, which keeps the system well conditioned.
 */

export interface MarkovPath {
  /** Touch labels in time order; must not be empty (untouched conversions take no part). */
  labels: readonly string[]
  /** How many walks of this path converted and how many did not. */
  conversions: number
  nonConversions: number
}

/** Above this many distinct labels the model is not computed (each removal is a dense solve). */
export const MAX_MARKOV_LABELS = 100

export interface RemovalEffects {
  /** P(conversion) of the full chain. */
  probability: number
  /** Removal effect per label, 0–1. */
  effects: Map<string, number>
}

const CONVERSION = -1
const NULL = -2

export function removalEffects(paths: readonly MarkovPath[]): RemovalEffects {
  const labels = [...new Set(paths.flatMap((p) => p.labels))].sort()
  const index = new Map(labels.map((l, i) => [l, i]))
  const n = labels.length
  // out[i]: transition counts from label i to label j / CONVERSION / NULL; start kept apart.
  const out = labels.map(() => new Map<number, number>())
  const start = new Map<number, number>()
  const add = (row: Map<number, number>, to: number, count: number) => {
    if (count > 0) row.set(to, (row.get(to) ?? 0) + count)
  }
  for (const path of paths) {
    const walks = path.conversions + path.nonConversions
    if (path.labels.length === 0 || walks === 0) continue
    const states = path.labels.map((l) => index.get(l)!)
    add(start, states[0]!, walks)
    for (let i = 1; i < states.length; i++) {
      if (states[i] !== states[i - 1]) add(out[states[i - 1]!]!, states[i]!, walks)
    }
    const last = out[states[states.length - 1]!]!
    add(last, CONVERSION, path.conversions)
    add(last, NULL, path.nonConversions)
  }
  const probabilityWithout = (removed: number): number => {
    const keep = [...labels.keys()].filter((i) => i !== removed)
    const position = new Map(keep.map((i, k) => [i, k]))
    // (I − Q) x = b over the kept labels; x_i = P(absorbed in conversion | at i).
    const a = keep.map(() => new Float64Array(keep.length))
    const b = new Float64Array(keep.length)
    keep.forEach((i, k) => {
      const row = out[i]!
      let total = 0
      for (const count of row.values()) total += count
      a[k]![k] = 1
      if (total === 0) return
      for (const [to, count] of row) {
        if (to === CONVERSION) b[k]! += count / total
        else if (to !== NULL && position.has(to)) a[k]![position.get(to)!]! -= count / total
      }
    })
    const x = solve(a, b)
    let total = 0
    for (const count of start.values()) total += count
    if (total === 0) return 0
    let p = 0
    for (const [to, count] of start) if (position.has(to)) p += (count / total) * x[position.get(to)!]!
    return p
  }
  const probability = probabilityWithout(NULL)
  const effects = new Map<string, number>()
  if (probability > 0) {
    for (let i = 0; i < n; i++) {
      effects.set(labels[i]!, Math.max(0, 1 - probabilityWithout(i) / probability))
    }
  } else for (const l of labels) effects.set(l, 0)
  return { probability, effects }
}

/** Gaussian elimination with partial pivoting; `a` is diagonally dominant here, so it is stable. */
function solve(a: Float64Array[], b: Float64Array): Float64Array {
  const n = b.length
  for (let col = 0; col < n; col++) {
    let pivot = col
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r
    if (pivot !== col) {
      ;[a[col], a[pivot]] = [a[pivot]!, a[col]!]
      ;[b[col], b[pivot]] = [b[pivot]!, b[col]!]
    }
    const p = a[col]![col]!
    if (p === 0) continue
    for (let r = col + 1; r < n; r++) {
      const f = a[r]![col]! / p
      if (f === 0) continue
      for (let c = col; c < n; c++) a[r]![c]! -= f * a[col]![c]!
      b[r]! -= f * b[col]!
    }
  }
  const x = new Float64Array(n)
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r]!
    for (let c = r + 1; c < n; c++) s -= a[r]![c]! * x[c]!
    x[r] = a[r]![r] === 0 ? 0 : s / a[r]![r]!
  }
  return x
}
