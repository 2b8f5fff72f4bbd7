import type { EventRow } from '@sightline/warehouse'
import { eventValueOf, holds, type RefFilter } from './breakdown.ts'
import { msOf, splitVisits } from './web-metrics.ts'

/**
 * Trend series by the definitions of docs/metrics.md ("Trends"), in plain TypeScript. The
 * bucket starts are taken as given (the classic trends tests check them by hand, DST
 * included); everything counted inside them is computed here from the events.
 */

export interface RefSeries {
  math: 'events' | 'persons' | 'sessions' | 'sum' | 'avg' | 'min' | 'max' | 'median' | 'p90'
  event?: string
  property?: string
}

export interface RefLine {
  series: number
  breakdown_value: string | null
  other: boolean
  points: Array<{ bucket: string; value: number | null }>
}

/** Text that reads as a number, as ClickHouse's toFloat64OrNull reads it; null otherwise. */
function numberIn(value: unknown): number | null {
  if (value === undefined || value === null) return null
  const text = String(value)
  const n = Number(text)
  return text.trim() === '' || !Number.isFinite(n) ? null : n
}

/** Linear interpolation between closest ranks. */
function quantile(values: number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const h = (sorted.length - 1) * p
  const lo = Math.floor(h)
  const hi = Math.min(lo + 1, sorted.length - 1)
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!)
}

function measure(series: RefSeries, events: EventRow[], visitOf: Map<EventRow, string>): number | null {
  const numbers = () =>
    events
      .map((e) => numberIn((e.properties as Record<string, unknown>)[series.property!]))
      .filter((n): n is number => n !== null)
  switch (series.math) {
    case 'events':
      return events.length
    case 'persons':
      return new Set(events.map((e) => e.person_id).filter((p) => p !== '')).size
    case 'sessions':
      return new Set(events.filter((e) => visitOf.has(e)).map((e) => visitOf.get(e))).size
    case 'sum':
      return numbers().reduce((a, b) => a + b, 0)
    case 'avg': {
      const xs = numbers()
      return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length
    }
    case 'min':
      return numbers().length === 0 ? null : Math.min(...numbers())
    case 'max':
      return numbers().length === 0 ? null : Math.max(...numbers())
    case 'median':
      return quantile(numbers(), 0.5)
    case 'p90':
      return quantile(numbers(), 0.9)
  }
}

/** `rows`: the site's events in [from, to), bots already left out as the spec says. */
export function trendLines(
  rows: EventRow[],
  bucketStarts: string[],
  series: RefSeries[],
  filters: RefFilter[],
  breakdown?: { by: string; limit: number },
): RefLine[] {
  const kept = rows.filter((r) => filters.every((f) => holds(eventValueOf(r, f.dimension), f)))
  // Visits are formed from every kept event; an event belongs to its visit.
  const visitOf = new Map<EventRow, string>()
  splitVisits(kept).forEach((visit, i) => {
    for (const e of visit) visitOf.set(e, String(i))
  })
  const starts = bucketStarts.map((b) => Date.parse(b))
  const bucketOf = (e: EventRow) => {
    let i = starts.length - 1
    while (i > 0 && starts[i]! > msOf(e)) i--
    return i
  }
  const ofSeries = (s: RefSeries) => kept.filter((e) => s.event === undefined || e.event === s.event)
  const lineValue = (e: EventRow) => eventValueOf(e, breakdown!.by) ?? ''
  let top: string[] = []
  if (breakdown !== undefined) {
    const counts = new Map<string, number>()
    for (const e of kept) {
      if (!series.some((s) => s.event === undefined || e.event === s.event)) continue
      counts.set(lineValue(e), (counts.get(lineValue(e)) ?? 0) + 1)
    }
    top = [...counts]
      .sort(([va, a], [vb, b]) => b - a || (va < vb ? -1 : va > vb ? 1 : 0))
      .slice(0, breakdown.limit)
      .map(([v]) => v)
  }
  const lines: RefLine[] = []
  series.forEach((s, index) => {
    const events = ofSeries(s)
    const groups: Array<{ value: string | null; other: boolean; events: EventRow[] }> =
      breakdown === undefined
        ? [{ value: null, other: false, events }]
        : [
            ...top.map((v) => ({
              value: v as string | null,
              other: false,
              events: events.filter((e) => lineValue(e) === v),
            })),
            { value: null, other: true, events: events.filter((e) => !top.includes(lineValue(e))) },
          ].filter((g) => g.events.length > 0)
    const empty =
      s.math === 'events' || s.math === 'persons' || s.math === 'sessions' || s.math === 'sum' ? 0 : null
    for (const g of groups) {
      lines.push({
        series: index,
        breakdown_value: g.value,
        other: g.other,
        points: bucketStarts.map((bucket, i) => {
          const inBucket = g.events.filter((e) => bucketOf(e) === i)
          return { bucket, value: inBucket.length === 0 ? empty : measure(s, inBucket, visitOf) }
        }),
      })
    }
  })
  return lines
}
