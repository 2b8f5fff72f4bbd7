import { z } from 'zod'
import { type Fragment, join, param, sql, trait } from '../sql/fragment.ts'
import { checkOpValue, type FilterOp, filterOp, filterTest, filterValue } from './dimensions.ts'
import { personEvents } from './persons.ts'
import { instantParam } from './predicates.ts'

/**
 * Person properties (docs/persons.md, "Person properties"): the value of trait `key` on the
 * person's latest event carrying that trait, over all of the merged person's ids, counting
 * only events before `asOf` (the query's `to`), so an answer about a past range does not
 * change when a trait changes later. Group calls are left out: their traits describe the
 * group, not the person.
 */
export interface PersonPropertyTest {
  /** The trait's key, without `traits.`. */
  key: string
  op: FilterOp
  value: string | number
  /** Exclusive: only events before it count. */
  asOf: Date
}

const traitKey = z
  .string()
  .transform((k) => (k.startsWith('traits.') ? k.slice('traits.'.length) : k))
  .pipe(z.string().min(1, { error: 'expected a trait key, e.g. plan or traits.plan' }).max(200))
  .describe('the trait: `plan` or `traits.plan`')

/** `{"property", "op", "value"}`: the operators and values of the property filters. */
export const PersonPropertySchema = z
  .strictObject({ property: traitKey, op: filterOp, value: filterValue })
  .superRefine(checkOpValue)
export type PersonPropertyInput = z.output<typeof PersonPropertySchema>

export function resolvePersonProperty(input: PersonPropertyInput, asOf: Date): PersonPropertyTest {
  return { key: input.property, op: input.op, value: input.value, asOf }
}

/**
 * Whether a query's `person` has the property, as one predicate. A person with no value (no
 * event carrying the trait before `asOf`) counts as '', as a missing property does in the
 * filters, so `is_not` and `not_contains` keep them and the comparisons never do.
 *
 * One subquery whatever the operator: the persons whose latest value tests otherwise than ''
 * would, so a person is in when ('' passes) XOR (they are one of those). Tests are made 0/1
 * (a comparison on text that is no number is NULL), so a NULL never drops a person.
 */
export function hasProperty(test: PersonPropertyTest, site: string, includeBots: boolean): Fragment {
  const siteParam = param('site', 'String', site)
  const raw = trait(test.key)
  const value = sql`if(isNull(${raw}), NULL, toString(${raw}))`
  const where = join(
    [
      sql`site_id = ${siteParam}`,
      sql`ts < ${instantParam('as_of', test.asOf)}`,
      // Bots per event, as everywhere: a bot's identify says nothing about the person.
      ...(includeBots ? [] : [sql`NOT is_bot`]),
      sql`type != 'group'`,
      sql`NOT isNull(${raw})`,
    ],
    sql`\n  AND `,
  )
  const passes = (column: Fragment) => sql`ifNull(${filterTest(column, test)}, 0)`
  const empty = passes(sql`''`)
  return sql`${empty} != (person IN (
  SELECT person
  FROM ${personEvents(where, siteParam)}
  WHERE person != ''
  GROUP BY person
  HAVING ${passes(sql`argMax(${value}, (ts, message_id))`)} != ${empty}
))`
}
