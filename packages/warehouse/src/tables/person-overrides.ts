import { z } from 'zod'
import { toClickHouseTime } from '../event-row.ts'
import { type IdentityFields, linksBySite, planMerges } from '../identity.ts'
import type { Warehouse } from '../port.ts'

/**
 * The `person_overrides` table (infra/clickhouse/0003): id → person for ids that identity
 * links merged, per site, newest version wins. The writer keeps it; queries join it.
 */

const Current = z.object({ id: z.string(), person: z.string() })

/**
 * Versions only need to grow: an id's newer row must outrank its older ones. Milliseconds
 * × 1000 plus a counter stays below 2^53 until the year 2255 and keeps growing across
 * restarts as long as the clock does.
 */
let lastVersion = 0
function nextVersion(): number {
  lastVersion = Math.max(Date.now() * 1000, lastVersion + 1)
  return lastVersion
}

/** The stored person of each of `ids` (ids without a row are absent). Ingest lane. */
async function currentPersons(
  warehouse: Warehouse,
  site: string,
  ids: string[],
): Promise<Map<string, string>> {
  const rows = await warehouse.query(
    {
      name: 'person_overrides.current',
      sql: `SELECT id, argMax(person, version) AS person FROM person_overrides
            WHERE site_id = {site:String} AND id IN {ids:Array(String)}
            GROUP BY id`,
      params: { site, ids },
      row: Current,
      limits: { maxResultRows: Math.max(1, ids.length) },
    },
    { lane: 'ingest' },
  )
  return new Map(rows.map((r) => [r.id, r.person]))
}

/**
 * A person stops taking in ids at this size. Real people have a handful of ids; tens of
 * thousands mean a shared or bogus user id (`"null"`, a constant from a template) linking
 * every visitor. Merging on would make one "person" of the whole site and, past the reads'
 * row limit, stall the writer on a lookup it can never finish. Links into a person this
 * large are skipped and counted instead (docs/persons.md).
 */
export const MAX_IDS_PER_PERSON = 10_000

/** Every id whose current person is one of `persons`, at most `perPerson` of each (by id order). */
export async function membersOf(
  warehouse: Warehouse,
  site: string,
  persons: string[],
  options: { lane?: 'ingest' | 'reads'; perPerson?: number } = {},
): Promise<Array<{ id: string; person: string }>> {
  if (persons.length === 0) return []
  const perPerson = options.perPerson ?? MAX_IDS_PER_PERSON
  return warehouse.query(
    {
      name: 'person_overrides.members',
      // The inner IN narrows to rows that ever pointed at these persons; argMax then keeps
      // only the ids that still do.
      sql: `SELECT id, person FROM (
              SELECT id, argMax(person, version) AS person FROM person_overrides
              WHERE site_id = {site:String}
                AND id IN (SELECT id FROM person_overrides WHERE site_id = {site:String} AND person IN {persons:Array(String)})
              GROUP BY id
            )
            WHERE person IN {persons:Array(String)}
            ORDER BY person, id
            LIMIT {per_person:UInt32} BY person`,
      params: { site, persons, per_person: perPerson },
      row: Current,
      limits: { maxResultRows: Math.max(1, perPerson * persons.length) },
    },
    { lane: options.lane ?? 'ingest' },
  )
}

/**
 * Records the identity links among `events` (identify, alias) so that queries count each
 * linked set of ids as one person, retroactively. Idempotent: links already recorded write
 * nothing, so a redelivered batch can be applied again. Reads and writes on the ingest lane;
 * one read pair per site that has links in the batch, nothing at all when none has.
 */
export async function applyIdentityLinks(
  warehouse: Warehouse,
  events: readonly IdentityFields[],
  options: { maxIdsPerPerson?: number } = {},
): Promise<{ reassigned: number; skipped: number }> {
  const cap = options.maxIdsPerPerson ?? MAX_IDS_PER_PERSON
  let reassigned = 0
  let skipped = 0
  for (const [site, allLinks] of linksBySite(events)) {
    const ids = [...new Set(allLinks.flat())]
    const personOf = await currentPersons(warehouse, site, ids)
    const persons = [...new Set(personOf.values())]
    const members = new Map<string, string[]>()
    // One more than the cap: a person with that many is full.
    for (const m of await membersOf(warehouse, site, persons, { perPerson: cap + 1 })) {
      const list = members.get(m.person) ?? []
      list.push(m.id)
      members.set(m.person, list)
      personOf.set(m.id, m.person)
    }
    const full = (id: string) => (members.get(personOf.get(id) ?? id)?.length ?? 0) >= cap
    const links = allLinks.filter(([a, b]) => {
      const same = (personOf.get(a) ?? a) === (personOf.get(b) ?? b)
      if (same || !(full(a) || full(b))) return true
      skipped += 1
      return false
    })
    const plan = planMerges(links, { personOf, members })
    if (plan.length === 0) continue
    const version = nextVersion()
    const mergedAt = toClickHouseTime(Date.now())
    await warehouse.insert(
      'person_overrides',
      plan.map((r) => ({ site_id: site, id: r.id, person: r.person, version, merged_at: mergedAt })),
    )
    reassigned += plan.length
  }
  return { reassigned, skipped }
}
