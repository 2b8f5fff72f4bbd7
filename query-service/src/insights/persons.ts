import { type Fragment, type Param, sql } from '../sql/fragment.ts'

/**
 * The one place that says who a row's person is. Every insight that counts or follows people
 * (visitors, funnels, retention, paths, attribution) reads its events through `personEvents`
 * and uses its `person` column, so when identity merges change how a person is resolved,
 * they change here and every kind follows.
 *
 * Today `person` is the stored `person_id` (user id when known, else anonymous id). It is a
 * FROM source rather than a column expression so that resolving merged ids can become a join.
 */
export function personEvents(where: Fragment, _site: Param): Fragment {
  return sql`(
  SELECT *, person_id AS person
  FROM events
  WHERE ${where}
)`
}
