/**
 * Composable SQL with bound values. A planner writes SQL as `sql` template literals; the only
 * things that can be interpolated are other fragments and bound parameters, never a string,
 * so a user value cannot reach the SQL text by construction (a plain string throws).
 *
 * Parameter names are chosen when the whole query is compiled, not by the planner: each
 * parameter carries a name hint (`from`), and two different parameters with the same hint
 * get `from` and `from_2`. Nested windows (a funnel step inside a range) therefore cannot
 * collide, while one parameter used twice keeps one name and one value.
 */

export type ParamValue = string | number | boolean | readonly string[] | readonly number[]

/** A value bound as `{name:Type}`; compared by identity, so reuse the object to reuse the name. */
export class Param {
  readonly hint: string
  readonly type: string
  readonly value: ParamValue

  constructor(hint: string, type: string, value: ParamValue) {
    if (!HINT.test(hint)) throw new Error(`invalid parameter name hint ${JSON.stringify(hint)}`)
    if (!TYPE.test(type)) throw new Error(`invalid parameter type ${JSON.stringify(type)}`)
    this.hint = hint
    this.type = type
    this.value = value
  }
}

/** A piece of SQL: constant text from the source code, bound parameters and nested fragments. */
export class Fragment {
  readonly parts: ReadonlyArray<string | Param | Fragment>

  constructor(parts: ReadonlyArray<string | Param | Fragment>) {
    this.parts = parts
  }
}

export type SqlValue = Param | Fragment

/** The compiled form the warehouse runs and `explain` shows. */
export interface Planned {
  sql: string
  params: Record<string, ParamValue>
}

const HINT = /^[A-Za-z_][A-Za-z0-9_]{0,40}$/
// Types are written by planners (String, DateTime64(3, 'UTC'), Array(String)); the check
// only guards against a type ever being built from input.
const TYPE = /^[A-Za-z][A-Za-z0-9_]*(\([A-Za-z0-9_, ']*\)|\([A-Za-z0-9_]+\([A-Za-z0-9_, ']*\)\))?$/

export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): Fragment {
  const parts: Array<string | Param | Fragment> = []
  strings.forEach((text, i) => {
    if (text !== '') parts.push(text)
    if (i < values.length) {
      const value = values[i]
      if (!(value instanceof Param || value instanceof Fragment)) {
        throw new TypeError('only fragments and bound parameters can be interpolated into sql``')
      }
      parts.push(value)
    }
  })
  return new Fragment(parts)
}

/** A bound value: `param('event', 'String', name)`. */
export function param(hint: string, type: string, value: ParamValue): Param {
  return new Param(hint, type, value)
}

/** Fragments separated by a constant separator (`join(predicates, sql`\n  AND `)`). */
export function join(fragments: readonly SqlValue[], separator: Fragment): Fragment {
  // The separator's parts are spliced in rather than nested, so its own line breaks are
  // not re-indented at every use; the joined whole is indented where it is placed.
  const parts: Array<string | Param | Fragment> = []
  fragments.forEach((fragment, i) => {
    if (i > 0) parts.push(...separator.parts)
    parts.push(fragment)
  })
  return new Fragment(parts)
}

export const empty = new Fragment([])

// What planner-made text may hold: names, numbers, indexes, operators; no quote, no comment.
const CODE = /^[A-Za-z0-9_ ,.[\]()!=<>+-]*$/

/**
 * SQL text made by the planner's code, never by input: a column alias or index built from a
 * step number, a list of lambda arguments. Checked so a quote or a comment can never slip in.
 */
export function code(text: string | number): Fragment {
  const t = String(text)
  if (!CODE.test(t) || t.includes('--')) throw new Error(`not planner-made SQL text: ${JSON.stringify(t)}`)
  return new Fragment([t])
}

/**
 * A custom property of an event, `properties.<key>` to a user, as a Dynamic value. The key is
 * bound, never spliced: ClickHouse resolves the sub-column path from a constant parameter.
 * Events are stored with dots in keys escaped (`json_type_escape_dots_in_keys`), so
 * `$screen.width` is one key; pass several segments to reach into nested objects.
 */
export function property(...path: [string, ...string[]]): Fragment {
  return subcolumn(sql`properties`, 'property', path)
}

/** A trait of an event (what identify and `$set` carry), as `property` reads a property. */
export function trait(...path: [string, ...string[]]): Fragment {
  return subcolumn(sql`traits`, 'trait', path)
}

function subcolumn(column: Fragment, hint: string, path: readonly string[]): Fragment {
  for (const segment of path) {
    if (segment.length === 0 || segment.length > 200) throw new Error(`${hint} keys are 1–200 characters`)
  }
  const name = path.map((segment) => segment.replaceAll('.', '%2E')).join('.')
  return sql`getSubcolumn(${column}, ${param(hint, 'String', name)})`
}

/**
 * Renders a fragment: parameters become `{name:Type}` with names made unique, and a nested
 * multi-line fragment is indented to the column of the line it is placed on, so planners
 * write each piece flush left and the result still reads well in `explain`.
 */
export function compile(fragment: Fragment): Planned {
  const names = new Map<Param, string>()
  const params: Record<string, ParamValue> = {}
  const nameOf = (p: Param): string => {
    const known = names.get(p)
    if (known !== undefined) return known
    let name = p.hint
    for (let n = 2; Object.hasOwn(params, name); n++) name = `${p.hint}_${n}`
    names.set(p, name)
    params[name] = p.value
    return name
  }
  const render = (f: Fragment): string => {
    let out = ''
    for (const part of f.parts) {
      if (typeof part === 'string') out += part
      else if (part instanceof Param) out += `{${nameOf(part)}:${part.type}}`
      else {
        const indent = /[^\n]*$/.exec(out)![0].match(/^\s*/)![0]
        out += render(part).replaceAll('\n', `\n${indent}`)
      }
    }
    return out
  }
  const text = render(fragment)
  return { sql: text, params: sortKeys(params) }
}

// Parameters sorted by name so `explain` output and snapshots do not depend on visiting order.
function sortKeys(params: Record<string, ParamValue>): Record<string, ParamValue> {
  return Object.fromEntries(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
