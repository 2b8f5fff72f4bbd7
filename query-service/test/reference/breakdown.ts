import type { EventRow } from '@sightline/warehouse'
import { type RefVisit, splitVisits, summarize } from './web-metrics.ts'

/**
 * Breakdowns by the definitions of docs/metrics.md, in plain TypeScript: event filters drop
 * events before visits are formed, visit filters drop visits; a visit counts once in each
 * value it has; rows are ranked by visits, then value; everything after the page is `other`.
 */

export interface RefFilter {
  dimension: string
  op: 'is' | 'is_not' | 'contains' | 'not_contains' | 'matches' | 'gt' | 'gte' | 'lt' | 'lte'
  value: string | number
}

export interface RefGroup {
  visitors: number
  visits: number
  pageviews: number
  bounce_rate: number
  visit_duration_s: number
}

const VISIT_KEYS: Record<string, keyof RefVisit> = {
  entry_page: 'entry_page',
  exit_page: 'exit_page',
  referrer: 'referrer_host',
  source: 'source',
  medium: 'medium',
  campaign: 'campaign',
  channel: 'channel',
}

export function eventValueOf(row: EventRow, dimension: string): string | null {
  if (dimension.startsWith('properties.')) {
    const value = (row.properties as Record<string, unknown>)[dimension.slice('properties.'.length)]
    return value === undefined || value === null ? null : String(value)
  }
  const column = {
    page: row.page_path,
    country: row.geo_country,
    region: row.geo_region,
    city: row.geo_city,
    browser: row.browser,
    os: row.os,
    device_type: row.device_type,
    event: row.event,
  }[dimension]
  if (column === undefined) throw new Error(`unknown dimension ${dimension}`)
  return column
}

/** Text that reads as a number (as ClickHouse's toFloat64OrNull reads it), else null. */
function numberIn(text: string): number | null {
  const n = Number(text)
  return text.trim() === '' || !Number.isFinite(n) ? null : n
}

export function holds(actual: string | null, f: RefFilter): boolean {
  if (f.op === 'gt' || f.op === 'gte' || f.op === 'lt' || f.op === 'lte') {
    const n = actual === null ? null : numberIn(actual)
    const v = f.value as number
    if (n === null) return false
    return f.op === 'gt' ? n > v : f.op === 'gte' ? n >= v : f.op === 'lt' ? n < v : n <= v
  }
  actual ??= ''
  const value = String(f.value)
  // The tests' patterns are in the part of RE2 and JavaScript syntax that means the same.
  if (f.op === 'matches') return new RegExp(value, 'u').test(actual)
  const found = actual.toLowerCase().includes(value.toLowerCase())
  if (f.op === 'is') return actual === value
  if (f.op === 'is_not') return actual !== f.value
  return f.op === 'contains' ? found : !found
}

export function breakdownOf(
  rows: EventRow[],
  by: string,
  filters: RefFilter[],
  limit: number,
  offset: number,
  /** Who a row's person is: the stored id unless a test resolves identity merges (reference/persons.ts). */
  personOf: (row: EventRow) => string = (row) => row.person_id,
): { total: number; rows: Array<RefGroup & { value: string }>; other: RefGroup | null } {
  const isVisit = (d: string) => Object.hasOwn(VISIT_KEYS, d)
  const kept = rows.filter((r) =>
    filters.filter((f) => !isVisit(f.dimension)).every((f) => holds(eventValueOf(r, f.dimension), f)),
  )
  type Acc = { persons: Set<string>; visits: number; pageviews: number; bounces: number; durationMs: number }
  const groups = new Map<string, Acc>()
  for (const events of splitVisits(kept)) {
    const visit = summarize(events[0]!.anonymous_id, events)
    const attr = (d: string) => String(visit[VISIT_KEYS[d]!])
    if (!filters.filter((f) => isVisit(f.dimension)).every((f) => holds(attr(f.dimension), f))) continue
    const pagesBy = new Map<string, number>()
    if (isVisit(by)) pagesBy.set(attr(by), visit.pageviews)
    else {
      for (const e of events) {
        const value = eventValueOf(e, by)
        if (value === null) continue
        pagesBy.set(value, (pagesBy.get(value) ?? 0) + (e.type === 'page' ? 1 : 0))
      }
    }
    for (const [value, pageviews] of pagesBy) {
      const acc = groups.get(value) ?? {
        persons: new Set(),
        visits: 0,
        pageviews: 0,
        bounces: 0,
        durationMs: 0,
      }
      for (const e of events) {
        const person = personOf(e)
        if (person !== '') acc.persons.add(person)
      }
      acc.visits++
      acc.pageviews += pageviews
      acc.bounces += visit.pageviews === 1 ? 1 : 0
      acc.durationMs += visit.ended - visit.started
      groups.set(value, acc)
    }
  }
  const ranked = [...groups].sort(
    ([va, a], [vb, b]) => b.visits - a.visits || (va < vb ? -1 : va > vb ? 1 : 0),
  )
  const summary = (accs: Acc[]): RefGroup => {
    const persons = new Set(accs.flatMap((a) => [...a.persons]))
    const visits = accs.reduce((n, a) => n + a.visits, 0)
    return {
      visitors: persons.size,
      visits,
      pageviews: accs.reduce((n, a) => n + a.pageviews, 0),
      bounce_rate: visits === 0 ? 0 : accs.reduce((n, a) => n + a.bounces, 0) / visits,
      visit_duration_s: visits === 0 ? 0 : accs.reduce((n, a) => n + a.durationMs, 0) / visits / 1000,
    }
  }
  const rest = ranked.slice(offset + limit).map(([, a]) => a)
  return {
    total: ranked.length,
    rows: ranked.slice(offset, offset + limit).map(([value, a]) => ({ value, ...summary([a]) })),
    other: rest.length === 0 ? null : summary(rest),
  }
}
