import type { EventRow } from '@sightline/warehouse'
import { msOf, splitVisits, summarize } from './web-metrics.ts'

/**
 * Attribution (docs/paths-attribution.md) in plain TypeScript, one conversion at a time: its
 * touches, then each model's credit written out directly. The Markov model is solved by
 * iterating the chain to convergence (the service solves the linear system), so the two
 * meet only in the definition. Visits come from the web-metrics reference, per person.
 */

export type RefModel =
  | 'last_touch'
  | 'first_touch'
  | 'linear'
  | 'time_decay'
  | 'position_based'
  | 'data_driven'

export interface RefAttributionSpec {
  from: Date
  to: Date
  includeBots: boolean
  event: string
  /** `properties.<key>` equality filters only; enough for the generated cases. */
  propertyIs?: Record<string, string>
  valueKey?: string
  by: 'channel' | 'source' | 'medium' | 'campaign'
  lookbackDays: number
  halfLifeDays: number
  minConversions: number
}

/** label ('null' for no touch) → [conversions, revenue]; null when data_driven is unavailable. */
export type RefCredit = Record<string, [number, number]> | null

const DAY = 86_400_000

export function goalValueOf(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : 0
  if (typeof v === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) return Number(v)
  return 0
}

interface Touch {
  started: number
  device: string
  label: string
}

export function refAttribution(
  all: EventRow[],
  spec: RefAttributionSpec,
  personOf: (r: EventRow) => string = (r) => r.person_id,
): { conversions: number; revenue: number; models: Record<RefModel, RefCredit> } {
  const lookback = spec.lookbackDays * DAY
  const scanFrom = spec.from.getTime() - lookback
  const to = spec.to.getTime()
  const rows = all.filter((r) => (spec.includeBots || !r.is_bot) && msOf(r) >= scanFrom && msOf(r) < to)
  const byPerson = new Map<string, EventRow[]>()
  for (const r of rows) {
    const p = personOf(r)
    if (p !== '') byPerson.set(p, [...(byPerson.get(p) ?? []), r])
  }
  const touchesOf = new Map<string, Touch[]>()
  for (const [person, events] of byPerson) {
    touchesOf.set(
      person,
      splitVisits(events).map((v) => {
        const s = summarize(v[0]!.anonymous_id, v)
        return { started: s.started, device: s.anonymous_id, label: s[spec.by] }
      }),
    )
  }
  const order = (a: Touch, b: Touch) =>
    a.started - b.started ||
    (a.device < b.device ? -1 : a.device > b.device ? 1 : 0) ||
    (a.label < b.label ? -1 : a.label > b.label ? 1 : 0)
  const conversions: Array<{ touches: Touch[]; value: number }> = []
  const converters = new Set<string>()
  for (const r of rows) {
    const t = msOf(r)
    if (t < spec.from.getTime() || r.event !== spec.event || personOf(r) === '') continue
    const props = r.properties
    const matches = Object.entries(spec.propertyIs ?? {}).every(([k, v]) => String(props[k] ?? '') === v)
    if (!matches) continue
    converters.add(personOf(r))
    const touches = (touchesOf.get(personOf(r)) ?? [])
      .filter((x) => x.started >= t - lookback && x.started <= t)
      .sort(order)
    const value = spec.valueKey === undefined ? 0 : goalValueOf(props[spec.valueKey])
    conversions.push({ touches: touches.map((x) => ({ ...x, started: t - x.started })), value })
  }
  const credit = (weigh: (touches: Touch[]) => number[]): RefCredit => {
    const out: Record<string, [number, number]> = {}
    const add = (label: string, share: number, value: number) => {
      // A label is listed only when it earns something (a first touch's later labels do not).
      if (share === 0) return
      const c = out[label] ?? [0, 0]
      c[0] += share
      c[1] += share * value
      out[label] = c
    }
    for (const c of conversions) {
      if (c.touches.length === 0) add('null', 1, c.value)
      else {
        weigh(c.touches).forEach((w, i) => {
          add(c.touches[i]!.label, w, c.value)
        })
      }
    }
    return out
  }
  const halfLife = spec.halfLifeDays * DAY
  const models: Record<RefModel, RefCredit> = {
    last_touch: credit((ts) => ts.map((_, i) => (i === ts.length - 1 ? 1 : 0))),
    first_touch: credit((ts) => ts.map((_, i) => (i === 0 ? 1 : 0))),
    linear: credit((ts) => ts.map(() => 1 / ts.length)),
    time_decay: credit((ts) => {
      // `started` holds the age here. Ages count from the youngest touch: the normalised
      // weights are the same, and the youngest weighs 1, so they cannot all underflow to 0.
      const youngest = Math.min(...ts.map((x) => x.started))
      const raw = ts.map((x) => 0.5 ** ((x.started - youngest) / halfLife))
      const sum = raw.reduce((a, b) => a + b, 0)
      return raw.map((w) => w / sum)
    }),
    position_based: credit((ts) => {
      if (ts.length === 1) return [1]
      if (ts.length === 2) return [0.5, 0.5]
      return ts.map((_, i) => (i === 0 || i === ts.length - 1 ? 0.4 : 0.2 / (ts.length - 2)))
    }),
    data_driven: null,
  }
  // Markov: converting paths plus, for people who did not convert, their touches in the
  // lookback window ending at `to`.
  const walks: Array<{ labels: string[]; converted: boolean }> = conversions
    .filter((c) => c.touches.length > 0)
    .map((c) => ({ labels: c.touches.map((x) => x.label), converted: true }))
  for (const [person, touches] of touchesOf) {
    if (converters.has(person)) continue
    const labels = touches
      .filter((x) => x.started >= to - lookback)
      .sort(order)
      .map((x) => x.label)
    if (labels.length > 0) walks.push({ labels, converted: false })
  }
  const touched = conversions.filter((c) => c.touches.length > 0)
  if (touched.length >= spec.minConversions) {
    const labels = [...new Set(walks.flatMap((w) => w.labels))]
    const p = (removed: string | null) => conversionProbability(walks, removed)
    const base = p(null)
    const effects = labels.map((l) => Math.max(0, 1 - p(l) / base))
    const sum = effects.reduce((a, b) => a + b, 0)
    const out: Record<string, [number, number]> = {}
    const touchedConversions = touched.length
    const touchedRevenue = touched.reduce((s, c) => s + c.value, 0)
    labels.forEach((l, i) => {
      if (effects[i]! > 0)
        out[l] = [(touchedConversions * effects[i]!) / sum, (touchedRevenue * effects[i]!) / sum]
    })
    for (const c of conversions.filter((c) => c.touches.length === 0)) {
      const n = out.null ?? [0, 0]
      out.null = [n[0] + 1, n[1] + c.value]
    }
    models.data_driven = out
  }
  return { conversions: conversions.length, revenue: conversions.reduce((s, c) => s + c.value, 0), models }
}

/**
 * P(start reaches conversion) by iterating x ← P·x over the transient states until it stops
 * changing; a removed label's incoming transitions lead to null.
 */
function conversionProbability(
  walks: Array<{ labels: string[]; converted: boolean }>,
  removed: string | null,
): number {
  const counts = new Map<string, Map<string, number>>()
  const bump = (from: string, to: string) => {
    const row = counts.get(from) ?? new Map<string, number>()
    row.set(to, (row.get(to) ?? 0) + 1)
    counts.set(from, row)
  }
  for (const w of walks) {
    const states = ['(start)', ...w.labels, w.converted ? '(conversion)' : '(null)']
    for (let i = 1; i < states.length; i++) bump(states[i - 1]!, states[i]!)
  }
  const x = new Map<string, number>([['(conversion)', 1]])
  const value = (s: string) => (s === removed ? 0 : (x.get(s) ?? 0))
  for (let iteration = 0; iteration < 200_000; iteration++) {
    let change = 0
    for (const [from, row] of counts) {
      if (from === removed) continue
      let total = 0
      let sum = 0
      for (const [to, n] of row) {
        total += n
        sum += n * value(to)
      }
      const next = sum / total
      change = Math.max(change, Math.abs(next - (x.get(from) ?? 0)))
      x.set(from, next)
    }
    if (change < 1e-15) break
  }
  return x.get('(start)') ?? 0
}
