import type { EventRow } from '@sightline/warehouse'
import { eventValueOf, holds, type RefFilter } from './breakdown.ts'
import { msOf, splitVisits } from './web-metrics.ts'

/**
 * Paths (docs/paths-attribution.md) in plain TypeScript: sequences per visit or person, the
 * anchor, the top N per step with the rest as `other`, and the Sankey counts. Shares nothing
 * with the planner; visits come from the web-metrics reference, split per person.
 */

export interface RefPathsSpec {
  stepType: 'page' | 'event'
  unit: 'session' | 'person'
  start?: string
  end?: string
  depth: number
  top: number
  collapseRepeats: boolean
  /** Event filters a step must pass (breakdown's predicates); units keep every event. */
  filters?: RefFilter[]
}

/** Keyed by `step|name` (name `*` for other): units, dropoff, folded values. */
export interface RefGraph {
  units: number
  nodes: Record<string, { units: number; dropoff: number; values: number }>
  links: Record<string, number>
}

const byTime = (a: EventRow, b: EventRow) =>
  msOf(a) - msOf(b) || (a.message_id < b.message_id ? -1 : a.message_id > b.message_id ? 1 : 0)

export function refPaths(
  rows: EventRow[],
  spec: RefPathsSpec,
  personOf: (r: EventRow) => string = (r) => r.person_id,
): RefGraph {
  const byPerson = new Map<string, EventRow[]>()
  for (const r of rows) {
    const person = personOf(r)
    if (person === '') continue
    byPerson.set(person, [...(byPerson.get(person) ?? []), r])
  }
  const passes = (e: EventRow) =>
    (spec.filters ?? []).every((f) => holds(eventValueOf(e, f.dimension) ?? '', f))
  const stepOf = (e: EventRow) =>
    !passes(e) ? null : spec.stepType === 'page' ? (e.type === 'page' ? e.page_path : null) : e.event
  const sequences: string[][] = []
  for (const events of byPerson.values()) {
    const units = spec.unit === 'session' ? splitVisits(events) : [[...events].sort(byTime)]
    for (const unit of units) {
      const steps = unit.map(stepOf).filter((s): s is string => s !== null)
      if (steps.length > 0) sequences.push(steps)
    }
  }
  const paths: string[][] = []
  for (let s of sequences) {
    if (spec.collapseRepeats) s = s.filter((x, i) => i === 0 || x !== s[i - 1])
    if (spec.start !== undefined) {
      const at = s.indexOf(spec.start)
      if (at >= 0) paths.push(s.slice(at, at + spec.depth))
    } else if (spec.end !== undefined) {
      const at = s.indexOf(spec.end)
      if (at >= 0) paths.push(s.slice(Math.max(0, at - spec.depth + 1), at + 1).reverse())
    } else paths.push(s.slice(0, spec.depth))
  }
  // Top N per step: by units at that step, then name.
  const keep: Array<Set<string>> = []
  const folded: number[] = []
  for (let step = 0; step < spec.depth; step++) {
    const counts = new Map<string, number>()
    for (const p of paths) if (p[step] !== undefined) counts.set(p[step]!, (counts.get(p[step]!) ?? 0) + 1)
    const ranked = [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    keep.push(new Set(ranked.slice(0, spec.top).map(([name]) => name)))
    folded.push(Math.max(0, ranked.length - spec.top))
  }
  const graph: RefGraph = { units: paths.length, nodes: {}, links: {} }
  const nodeOf = (step: number, name: string) => `${step + 1}|${keep[step]!.has(name) ? name : '*'}`
  for (const p of paths) {
    p.forEach((name, step) => {
      const key = nodeOf(step, name)
      const values = key.endsWith('|*') ? folded[step]! : 1
      const node = graph.nodes[key] ?? { units: 0, dropoff: 0, values }
      node.units++
      if (step === p.length - 1) node.dropoff++
      graph.nodes[key] = node
      if (step < p.length - 1) {
        const link = `${key}->${nodeOf(step + 1, p[step + 1]!)}`
        graph.links[link] = (graph.links[link] ?? 0) + 1
      }
    })
  }
  return graph
}
