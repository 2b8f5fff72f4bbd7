import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { PathsAnswer } from '../src/api.ts'
import { layoutSankey } from '../src/sankey.ts'

/** A paths answer with the API's invariants: units = dropoff + outgoing links, links step k → k+1. */
const answer = fc
  .array(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }), {
    minLength: 2,
    maxLength: 6,
  })
  .map((columns): PathsAnswer => {
    const nodes: PathsAnswer['nodes'] = []
    const links: PathsAnswer['links'] = []
    let index = 0
    const byStep: number[][] = []
    columns.forEach((units, i) => {
      byStep[i] = []
      for (const u of units) {
        nodes.push({ index, step: i + 1, name: `/p${index}`, other: false, values: 1, units: u, dropoff: 0 })
        byStep[i]!.push(index++)
      }
    })
    // Each node of step k+1 takes its units from the nodes of step k, as far as they have any.
    for (let k = 1; k < byStep.length; k++) {
      const room = new Map(byStep[k - 1]!.map((i) => [i, nodes[i]!.units]))
      for (const t of byStep[k]!) {
        let need = nodes[t]!.units
        for (const [s, left] of room) {
          const take = Math.min(left, need)
          if (take > 0) {
            links.push({ source: s, target: t, units: take })
            room.set(s, left - take)
            need -= take
          }
        }
        nodes[t]!.units -= need
      }
      for (const [s, left] of room) nodes[s]!.dropoff = left
    }
    const kept = nodes.filter((n) => n.units > 0)
    const at = new Map(kept.map((n, i) => [n.index, i]))
    return {
      units: kept.filter((n) => n.step === 1).reduce((a, n) => a + n.units, 0),
      nodes: kept.map((n) => ({ ...n, index: at.get(n.index)! })),
      links: links
        .filter((l) => at.has(l.source) && at.has(l.target))
        .map((l) => ({ ...l, source: at.get(l.source)!, target: at.get(l.target)! })),
    }
  })

describe('the paths Sankey layout', () => {
  it('fits the box, keeps one scale, stacks without overlap, and bands stay inside their nodes', () => {
    fc.assert(
      fc.property(answer, (a) => {
        const l = layoutSankey(a)
        const biggest = a.nodes.reduce((m, n) => (n.units > m.units ? n : m))
        const scale = l.nodes[biggest.index]!.height / biggest.units
        for (const [i, n] of l.nodes.entries()) {
          expect(n.y).toBeGreaterThanOrEqual(0)
          expect(n.y + n.height).toBeLessThanOrEqual(l.height + 1e-6)
          expect(n.x + l.nodeWidth).toBeLessThanOrEqual(l.width)
          // One scale for every node (1 px at least, so a single unit stays visible).
          expect(n.height).toBeCloseTo(Math.max(1, a.nodes[i]!.units * scale), 6)
        }
        for (const step of new Set(l.nodes.map((n) => n.step))) {
          const column = l.nodes.filter((n) => n.step === step).sort((x, y) => x.y - y.y)
          for (let i = 1; i < column.length; i++)
            expect(column[i]!.y).toBeGreaterThanOrEqual(column[i - 1]!.y + column[i - 1]!.height + 18 - 1e-6)
        }
        for (const link of l.links) {
          const s = l.nodes[link.source]!
          const t = l.nodes[link.target]!
          expect(t.step).toBe(s.step + 1)
          expect(link.width).toBeCloseTo(link.units * scale, 6)
          expect(link.y0 - link.width / 2).toBeGreaterThanOrEqual(s.y - 1e-6)
          expect(link.y0 + link.width / 2).toBeLessThanOrEqual(s.y + s.height + 1e-6)
          expect(link.y1 - link.width / 2).toBeGreaterThanOrEqual(t.y - 1e-6)
          expect(link.y1 + link.width / 2).toBeLessThanOrEqual(t.y + t.height + 1e-6)
        }
      }),
    )
  })

  it('a node’s outgoing bands do not overlap each other', () => {
    const l = layoutSankey({
      nodes: [
        { index: 0, step: 1, name: '/', other: false, values: 1, units: 10, dropoff: 2 },
        { index: 1, step: 2, name: '/a', other: false, values: 1, units: 5, dropoff: 5 },
        { index: 2, step: 2, name: '/b', other: false, values: 1, units: 3, dropoff: 3 },
      ],
      links: [
        { source: 0, target: 2, units: 3 },
        { source: 0, target: 1, units: 5 },
      ],
    })
    const [toB, toA] = [l.links.find((x) => x.target === 2)!, l.links.find((x) => x.target === 1)!]
    // Ordered by target: the band to /a leaves above the band to /b, edge to edge.
    expect(toA.y0 + toA.width / 2).toBeCloseTo(toB.y0 - toB.width / 2, 9)
    expect(toA.y0 - toA.width / 2).toBeCloseTo(l.nodes[0]!.y, 9)
  })
})
