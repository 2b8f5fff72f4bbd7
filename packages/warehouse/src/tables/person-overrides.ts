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

/** Every id whose current person is one of `persons`. */
export async function membersOf(
  warehouse: Warehouse,
  site: string,
  persons: string[],
  options: { lane?: 'ingest' | 'reads'; maxRows?: number } = {},
): Promise<Array<{ id: string; person: string }>> {
  if (persons.length === 0) return []
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
            ORDER BY id`,
      params: { site, persons },
      row: Current,
      ...(options.maxRows ? { limits: { maxResultRows: options.maxRows } } : {}),
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
): Promise<{ reassigned: number }> {
  let reassigned = 0
  for (const [site, links] of linksBySite(events)) {
    const ids = [...new Set(links.flat())]
    const personOf = await currentPersons(warehouse, site, ids)
    const persons = [...new Set(personOf.values())]
    const members = new Map<string, string[]>()
    for (const m of await membersOf(warehouse, site, persons)) {
      const list = members.get(m.person) ?? []
      list.push(m.id)
      members.set(m.person, list)
      personOf.set(m.id, m.person)
    }
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
  return { reassigned }
}
