/**
 * Identity merges, pure (docs/persons.md). Which ids an event links, and — given the current
 * person of every id involved and those persons' members — which ids must point to a new
 * person. The table module (tables/person-overrides.ts) does the reads and the insert.
 *
 * Rules: per site; `identify` links its anonymous id and user id; `alias` links
 * `previous_id` and the event's own id (user id, else anonymous id). Links are transitive.
 * A person is named by the smallest of its ids (string order), so the result does not
 * depend on the order links arrive in and merging only ever moves ids to a smaller name.
 */

/** The fields of an event (enriched or a row) that identity reads. */
export interface IdentityFields {
  site_id: string
  type: string
  anonymous_id: string
  user_id: string
  previous_id?: string | undefined
}

export interface IdentityLink {
  site: string
  a: string
  b: string
}

/** The link an event makes, if any (a link of an id with itself is none). */
export function linkOf(e: IdentityFields): IdentityLink | undefined {
  let a = ''
  let b = ''
  if (e.type === 'identify') {
    a = e.anonymous_id
    b = e.user_id
  } else if (e.type === 'alias') {
    a = e.previous_id ?? ''
    b = e.user_id !== '' ? e.user_id : e.anonymous_id
  }
  if (a === '' || b === '' || a === b) return undefined
  return { site: e.site_id, a, b }
}

/** The links of many events, grouped by site, each pair once. */
export function linksBySite(events: readonly IdentityFields[]): Map<string, Array<[string, string]>> {
  const out = new Map<string, Map<string, [string, string]>>()
  for (const e of events) {
    const link = linkOf(e)
    if (!link) continue
    const [x, y] = link.a < link.b ? [link.a, link.b] : [link.b, link.a]
    const site = out.get(link.site) ?? new Map<string, [string, string]>()
    site.set(`${x}\u0000${y}`, [x, y])
    out.set(link.site, site)
  }
  return new Map([...out].map(([site, pairs]) => [site, [...pairs.values()]]))
}

export interface MergeState {
  /** The stored person of an id (absent: the id is a person of its own, with no row). */
  personOf: ReadonlyMap<string, string>
  /** Every stored id of each person that appears in `personOf`'s values. */
  members: ReadonlyMap<string, readonly string[]>
}

/** An id and the person it must now point to. */
export interface Reassignment {
  id: string
  person: string
}

/**
 * The rows to write so that every id of every linked component points to the component's
 * smallest id, the smallest id to itself included (so a person's members can be listed by
 * `person = …`). Ids that already point there are left alone: re-applying the same links
 * (a redelivered batch) writes nothing.
 */
export function planMerges(
  links: ReadonlyArray<readonly [string, string]>,
  state: MergeState,
): Reassignment[] {
  const current = (id: string) => state.personOf.get(id) ?? id
  const parent = new Map<string, string>()
  const find = (x: string): string => {
    let root = x
    while (parent.has(root)) root = parent.get(root)!
    return root
  }
  for (const [a, b] of links) {
    const ra = find(current(a))
    const rb = find(current(b))
    if (ra === rb) continue
    // The smaller name stays the root: a component's root is its smallest person name.
    if (ra < rb) parent.set(rb, ra)
    else parent.set(ra, rb)
  }
  const ids = new Set<string>()
  for (const [a, b] of links) {
    ids.add(a)
    ids.add(b)
    ids.add(current(a))
    ids.add(current(b))
  }
  for (const id of [...ids]) for (const m of state.members.get(current(id)) ?? []) ids.add(m)
  const out: Reassignment[] = []
  for (const id of [...ids].sort()) {
    const person = find(current(id))
    // Every person name is the smallest id of its component (the invariant), so the root is too.
    if (state.personOf.get(id) !== person) out.push({ id, person })
  }
  return out
}
