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
  /** Room right of each node for its label, up to the next column. */
  labelWidth: number
  nodes: LaidNode[]
  links: LaidLink[]
}

export function layoutSankey(
  answer: Pick<PathsAnswer, 'nodes' | 'links'>,
  // The gap is at least a line of label text, so labels of one column never overlap; the last
  // column keeps `labelRoom` on its right for its labels, so every label sits right of its node.
  size = { width: 960, height: 380, nodeWidth: 12, gap: 18, labelRoom: 170 },
): SankeyLayout {
  const steps = Math.max(1, ...answer.nodes.map((n) => n.step))
  const columns = Array.from({ length: steps }, (_, i) => answer.nodes.filter((n) => n.step === i + 1))
  // Many nodes in a column (`top` goes to 50) make the chart taller rather than the bands thinner.
  const most = Math.max(...columns.map((c) => c.length))
  const height = Math.max(size.height, most * (size.gap + 8))
  // The fullest column fills the height minus its gaps; every column uses that scale.
  const scale = Math.min(
    ...columns
      .filter((c) => c.length > 0)
      .map(
        (c) =>
          (height - size.gap * (c.length - 1)) /
          Math.max(
            1,
            c.reduce((n, x) => n + x.units, 0),
          ),
      ),
  )
  const span = size.width - size.labelRoom - size.nodeWidth
  const columnX = (step: number) => (steps === 1 ? 0 : ((step - 1) * span) / (steps - 1))
  const laid = new Map<number, LaidNode>()
  let bottom = height
  for (const column of columns) {
    let y = 0
    for (const n of column) {
      const h = Math.max(1, n.units * scale)
      laid.set(n.index, { index: n.index, step: n.step, x: columnX(n.step), y, height: h })
      // A 1 px floor keeps one unit visible; a column of many such nodes may run a little lower.
      bottom = Math.max(bottom, y + h)
      y += h + size.gap
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
    height: bottom,
    nodeWidth: size.nodeWidth,
    labelWidth:
      (steps === 1 ? size.labelRoom : Math.min(size.labelRoom, span / (steps - 1))) - size.nodeWidth - 8,
    nodes: answer.nodes.map((n) => laid.get(n.index)!),
    links,
  }
}
