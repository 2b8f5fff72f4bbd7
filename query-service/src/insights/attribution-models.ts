import { MAX_MARKOV_LABELS, type MarkovPath, removalEffects } from './markov.ts'

/**
 * The attribution models, pure: given the touch paths the warehouse returned (grouped by
 * their sequence of labels), how much of each conversion and its value every label earns.
 * Definitions in docs/paths-attribution.md; docs/adr/0023-paths-and-attribution.md says why the
 * split between SQL (paths) and TypeScript (credit) lies here.
 */

export const MODELS = [
  'last_touch',
  'first_touch',
  'linear',
  'time_decay',
  'position_based',
  'data_driven',
] as const
export type Model = (typeof MODELS)[number]

/** Conversions whose touches had this sequence of labels (oldest first), summed. */
export interface ConvertingPath {
  labels: readonly string[]
  conversions: number
  revenue: number
  /**
   * Time-decay credit per position, summed over the path's conversions: each conversion's
   * weights 2^(−age / half-life), normalised to 1 (see `timeDecayWeights`). The warehouse sums
   * them because a conversion's ages are not kept once paths are grouped.
   */
  decay: readonly number[]
  /** The same weights multiplied by each conversion's value, summed. */
  decayRevenue: readonly number[]
}

/** People who did not convert, with this sequence of labels in their lookback window. */
export interface NonConvertingPath {
  labels: readonly string[]
  count: number
}

export interface Credit {
  /** null: conversions with no touch in their lookback window. */
  label: string | null
  conversions: number
  revenue: number
}

export interface ModelResult {
  model: Model
  /** False when data_driven could not be computed; `reason` says why and no credit is given. */
  available: boolean
  reason: string | null
  conversions: number
  revenue: number
  credits: Credit[]
  /** data_driven only: each label's removal effect (0–1). */
  removalEffects: Array<{ label: string; removal_effect: number }> | null
}

export interface ModelOptions {
  /** data_driven needs at least this many conversions with a touch. */
  minConversions: number
}

/** Each position's time-decay weight for one conversion: 2^(−age / half-life), summing to 1. */
export function timeDecayWeights(agesMs: readonly number[], halfLifeMs: number): number[] {
  // Relative to the youngest touch: the same weights once normalised, but the youngest is 1,
  // so a short half-life cannot underflow every weight to 0 (0 / 0).
  const youngest = Math.min(...agesMs)
  const raw = agesMs.map((age) => 2 ** (-(age - youngest) / halfLifeMs))
  const total = raw.reduce((s, w) => s + w, 0)
  return raw.map((w) => w / total)
}

/** 40 % first, 40 % last, 20 % shared by the touches between; one touch 100 %, two 50/50. */
export function positionWeights(touches: number): number[] {
  if (touches === 1) return [1]
  if (touches === 2) return [0.5, 0.5]
  const middle = 0.2 / (touches - 2)
  return Array.from({ length: touches }, (_, i) => (i === 0 || i === touches - 1 ? 0.4 : middle))
}

/** Weights per position for the position-only models; time_decay and data_driven differ. */
function weights(model: 'last_touch' | 'first_touch' | 'linear' | 'position_based', k: number): number[] {
  switch (model) {
    case 'last_touch':
      return Array.from({ length: k }, (_, i) => (i === k - 1 ? 1 : 0))
    case 'first_touch':
      return Array.from({ length: k }, (_, i) => (i === 0 ? 1 : 0))
    case 'linear':
      return Array.from({ length: k }, () => 1 / k)
    case 'position_based':
      return positionWeights(k)
  }
}

class Ledger {
  private readonly byLabel = new Map<string | null, Credit>()
  add(label: string | null, conversions: number, revenue: number): void {
    const credit = this.byLabel.get(label) ?? { label, conversions: 0, revenue: 0 }
    credit.conversions += conversions
    credit.revenue += revenue
    this.byLabel.set(label, credit)
  }
  /** Most credited first, then by label; the untouched row last. */
  rows(): Credit[] {
    return [...this.byLabel.values()].sort((a, b) =>
      a.label === null
        ? 1
        : b.label === null
          ? -1
          : b.conversions - a.conversions || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0),
    )
  }
}

export function attribute(
  models: readonly Model[],
  converting: readonly ConvertingPath[],
  nonConverting: readonly NonConvertingPath[],
  options: ModelOptions,
): ModelResult[] {
  const conversions = converting.reduce((s, p) => s + p.conversions, 0)
  const revenue = converting.reduce((s, p) => s + p.revenue, 0)
  return models.map((model) => {
    const ledger = new Ledger()
    // Conversions without any touch are credited to nobody in every model, so totals agree.
    for (const p of converting) if (p.labels.length === 0) ledger.add(null, p.conversions, p.revenue)
    const touched = converting.filter((p) => p.labels.length > 0)
    const base = { model, conversions, revenue, reason: null, removalEffects: null }
    if (model === 'data_driven') {
      return dataDriven(ledger, touched, nonConverting, options, base)
    }
    for (const p of touched) {
      if (model === 'time_decay') {
        p.labels.forEach((label, i) => {
          // A weight can underflow to 0 (a touch many half-lives older than the youngest).
          if (p.decay[i]! > 0) ledger.add(label, p.decay[i]!, p.decayRevenue[i]!)
        })
      } else {
        weights(model, p.labels.length).forEach((w, i) => {
          if (w > 0) ledger.add(p.labels[i]!, w * p.conversions, w * p.revenue)
        })
      }
    }
    return { ...base, available: true, credits: ledger.rows() }
  })
}

function dataDriven(
  ledger: Ledger,
  touched: readonly ConvertingPath[],
  nonConverting: readonly NonConvertingPath[],
  options: ModelOptions,
  base: Omit<ModelResult, 'available' | 'credits'>,
): ModelResult {
  const touchedConversions = touched.reduce((s, p) => s + p.conversions, 0)
  const touchedRevenue = touched.reduce((s, p) => s + p.revenue, 0)
  const unavailable = (reason: string): ModelResult => ({
    ...base,
    available: false,
    reason,
    conversions: 0,
    revenue: 0,
    credits: [],
  })
  if (touchedConversions < options.minConversions) {
    return unavailable(
      `data_driven needs at least ${options.minConversions} conversions with a touch; there are ${touchedConversions}`,
    )
  }
  const paths: MarkovPath[] = [
    ...touched.map((p) => ({ labels: p.labels, conversions: p.conversions, nonConversions: 0 })),
    ...nonConverting
      .filter((p) => p.labels.length > 0)
      .map((p) => ({ labels: p.labels, conversions: 0, nonConversions: p.count })),
  ]
  const labels = new Set(paths.flatMap((p) => p.labels))
  if (labels.size > MAX_MARKOV_LABELS) {
    return unavailable(
      `data_driven handles at most ${MAX_MARKOV_LABELS} distinct labels; there are ${labels.size} (use a coarser \`by\`)`,
    )
  }
  const { effects } = removalEffects(paths)
  const sum = [...effects.values()].reduce((s, e) => s + e, 0)
  for (const [label, effect] of effects) {
    const share = sum === 0 ? 0 : effect / sum
    if (share > 0) ledger.add(label, share * touchedConversions, share * touchedRevenue)
  }
  return {
    ...base,
    available: true,
    credits: ledger.rows(),
    removalEffects: [...effects]
      .map(([label, removal_effect]) => ({ label, removal_effect }))
      .sort((a, b) => b.removal_effect - a.removal_effect || (a.label < b.label ? -1 : 1)),
  }
}
