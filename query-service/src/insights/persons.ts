import { type Fragment, type Param, sql } from '../sql/fragment.ts'

/**
 * The one place that says who a row's person is. Every insight that counts or follows people
 * (visitors, funnels, retention, paths, attribution) reads its events through `personEvents`
 * and uses its `person` column, so every kind counts merged persons the same way.
 *
 * `person` is the row's stored id (`person_id`: user id when known, else anonymous id)
 * resolved through `person_overrides`, the identity merges the writer records from identify
 * and alias (docs/persons.md, docs/adr/0020-person-overrides.md). Raw events are never
 * rewritten, so a merge applies to every row of the merged ids, before and after it.
 *
 * The overrides side is one site's merged ids, reduced to the newest version per id
 * (argMax, so correctness never waits for ReplacingMergeTree's background merges) — small
 * next to the events, which is why it is the right-hand (hash-built) side. ANY: one row per
 * id after the GROUP BY, so the join cannot multiply events. An id with no override keeps
 * its own id (the String default of a non-matching LEFT JOIN is '').
 */
export function personEvents(where: Fragment, site: Param): Fragment {
  return sql`(
  SELECT ev.*, if(o.merged_into = '', ev.person_id, o.merged_into) AS person
  FROM (
    SELECT *
    FROM events
    WHERE ${where}
  ) AS ev
  LEFT ANY JOIN (
    SELECT id, argMax(person, version) AS merged_into
    FROM person_overrides
    WHERE site_id = ${site}
    GROUP BY id
  ) AS o ON o.id = ev.person_id
)`
}
