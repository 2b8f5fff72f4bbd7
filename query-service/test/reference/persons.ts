import type { EventRow } from '@sightline/warehouse'

/**
 * Who is one person, computed in plain TypeScript from the stored events with a union-find,
 * independently of the writer's person_overrides and of any SQL (docs/persons.md):
 * - per site; ids are never merged across sites;
 * - `identify` with both an anonymous id and a user id joins the two;
 * - `alias` joins `previous_id` with the row's own id (user id, else anonymous id);
 * - joining is transitive and order-free: the components of the graph of all such links;
 * - a person is named by the smallest of its ids (plain string order), and an id that was
 *   never linked is a person of its own; a row with no id belongs to nobody ('').
 * Merges apply to every row, before and after the link (retroactive).
 */
export interface PersonIndex {
  /** The person of a row: '' for a row without any id. */
  personOf(row: EventRow): string
  /** The person an id belongs to on a site. */
  personOfId(site: string, id: string): string
  /** Every id of a person (sorted), the person's own name included. */
  idsOf(site: string, person: string): string[]
}

export function resolvePersons(rows: readonly EventRow[]): PersonIndex {
  const parent = new Map<string, string>()
  const key = (site: string, id: string) => `${site}\u0000${id}`
  const find = (k: string): string => {
    let root = k
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!
    // Path compression: later finds are one step.
    let node = k
    while (node !== root) {
      const next = parent.get(node)!
      parent.set(node, root)
      node = next
    }
    return root
  }
  const union = (site: string, a: string, b: string) => {
    if (a === '' || b === '' || a === b) return
    const ra = find(key(site, a))
    const rb = find(key(site, b))
    if (ra === rb) return
    // The smaller id becomes the root, so a root is always its component's smallest id.
    if (ra < rb) parent.set(rb, ra)
    else parent.set(ra, rb)
  }
  for (const r of rows) {
    const own = r.user_id !== '' ? r.user_id : r.anonymous_id
    if (r.type === 'identify') union(r.site_id, r.anonymous_id, r.user_id)
    if (r.type === 'alias') union(r.site_id, r.previous_id, own)
  }
  const personOfId = (site: string, id: string) => {
    if (id === '') return ''
    return find(key(site, id)).slice(site.length + 1)
  }
  return {
    personOfId,
    personOf: (row) => personOfId(row.site_id, row.user_id !== '' ? row.user_id : row.anonymous_id),
    idsOf(site, person) {
      const ids = new Set<string>([person])
      for (const k of parent.keys()) {
        if (!k.startsWith(`${site}\u0000`)) continue
        const id = k.slice(site.length + 1)
        if (personOfId(site, id) === person) ids.add(id)
      }
      return [...ids].sort()
    },
  }
}

/** Distinct persons among rows (the empty person is nobody). */
export function uniquePersons(rows: readonly EventRow[], index: PersonIndex): number {
  const persons = new Set<string>()
  for (const r of rows) {
    const p = index.personOf(r)
    if (p !== '') persons.add(p)
  }
  return persons.size
}
