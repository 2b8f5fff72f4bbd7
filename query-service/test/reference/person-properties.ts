import type { EventRow } from '@sightline/warehouse'
import { holds, type RefFilter } from './breakdown.ts'
import { msOf } from './web-metrics.ts'

/**
 * Person properties by the definition of docs/persons.md ("Person properties"), in plain
 * TypeScript: a person's value of a trait is the one on their latest event (time, then message
 * id) that carries it, over every row of the person (`personOf`), before `asOf`, group calls
 * left out, bots only with `includeBots`. A trait set to null is not carried (the JSON column
 * stores no nulls).
 */

export interface RefPersonProperty {
  property: string
  op: RefFilter['op']
  value: string | number
  /** The query's `to`: only events before it count. */
  asOf: Date
}

/** Each person's value of `key` as of `asOf`, as text (a number as its digits). */
export function personPropertyOf(
  rows: readonly EventRow[],
  site: string,
  key: string,
  asOf: Date,
  includeBots: boolean,
  personOf: (r: EventRow) => string,
): Map<string, string> {
  const latest = new Map<string, { ms: number; id: string; value: string }>()
  for (const r of rows) {
    if (r.site_id !== site || r.type === 'group' || (r.is_bot && !includeBots)) continue
    const ms = msOf(r)
    if (ms >= asOf.getTime()) continue
    const raw = (r.traits as Record<string, unknown>)[key]
    if (raw === undefined || raw === null) continue
    const person = personOf(r)
    if (person === '') continue
    const known = latest.get(person)
    if (known !== undefined && (known.ms > ms || (known.ms === ms && known.id > r.message_id))) continue
    latest.set(person, { ms, id: r.message_id, value: String(raw) })
  }
  return new Map([...latest].map(([person, v]) => [person, v.value]))
}

/** Whether a person has the property: a person without a value counts as '' (as a filter's missing property). */
export function propertyFilter(
  rows: readonly EventRow[],
  site: string,
  includeBots: boolean,
  has: RefPersonProperty,
  personOf: (r: EventRow) => string,
): (person: string) => boolean {
  const values = personPropertyOf(rows, site, has.property, has.asOf, includeBots, personOf)
  const filter: RefFilter = { dimension: `traits.${has.property}`, op: has.op, value: has.value }
  return (person) => holds(values.get(person) ?? null, filter)
}
