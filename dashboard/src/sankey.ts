// A Sankey layout for the paths answer, small enough to keep off a chart library: one column
// per step, nodes stacked in the API's order (most units first), one vertical scale for all
// columns so a band's width means the same number of units everywhere. Pure (test/sankey.test.ts).
import type { PathsAnswer } from './api.ts'

export interface LaidNode {
  index: number
  step: number
  x: number
  y: number
  height: number
}
export interface LaidLink {
  source: number
  target: number
  units: number
  /** Band centre at the source's right edge and the target's left edge. */
  y0: number
  y1: number
  width: number
}
export interface SankeyLayout {
  width: number
  height: number
  nodeWidth: number
  nodes: LaidNode[]
  links: LaidLink[]
}

export function layoutSankey(
  answer: Pick<PathsAnswer, 'nodes' | 'links'>,
  size = { width: 960, height: 380, nodeWidth: 12, gap: 14 },
): SankeyLayout {
  const steps = Math.max(1, ...answer.nodes.map((n) => n.step))
  const columns = Array.from({ length: steps }, (_, i) => answer.nodes.filter((n) => n.step === i + 1))
  // The fullest column fills the height minus its gaps; every column uses that scale.
  const scale = Math.min(
    ...columns
      .filter((c) => c.length > 0)
      .map(
        (c) =>
          (size.height - size.gap * (c.length - 1)) /
          Math.max(
            1,
            c.reduce((n, x) => n + x.units, 0),
          ),
      ),
  )
  const columnX = (step: number) =>
    steps === 1 ? 0 : ((step - 1) * (size.width - size.nodeWidth)) / (steps - 1)
  const laid = new Map<number, LaidNode>()
  for (const column of columns) {
    let y = 0
    for (const n of column) {
      const height = Math.max(1, n.units * scale)
      laid.set(n.index, { index: n.index, step: n.step, x: columnX(n.step), y, height })
      y += height + size.gap
    }
  }
  // Bands leave a node in the order of their targets and enter in the order of their sources,
  // which keeps crossings few without an optimisation pass.
  const out = new Map<number, number>()
  const into = new Map<number, number>()
  const byTarget = [...answer.links].sort((a, b) => a.source - b.source || a.target - b.target)
  const y0 = new Map<(typeof answer.links)[number], number>()
  for (const l of byTarget) {
    const s = laid.get(l.source)!
    const w = l.units * scale
    const used = out.get(l.source) ?? 0
    y0.set(l, s.y + used + w / 2)
    out.set(l.source, used + w)
  }
  const links = [...answer.links]
    .sort((a, b) => a.target - b.target || a.source - b.source)
    .map((l) => {
      const t = laid.get(l.target)!
      const w = l.units * scale
      const used = into.get(l.target) ?? 0
      into.set(l.target, used + w)
      return {
        source: l.source,
        target: l.target,
        units: l.units,
        y0: y0.get(l)!,
        y1: t.y + used + w / 2,
        width: w,
      }
    })
  return {
    width: size.width,
    height: size.height,
    nodeWidth: size.nodeWidth,
    nodes: answer.nodes.map((n) => laid.get(n.index)!),
    links,
  }
}
