import { quoteString, Refused, type Token, tokenize } from './tokens.ts'

/** Tables a hatch query may name; each is read only through a subquery filtered by the site. */
export const CONFINED_TABLES: readonly string[] = ['events']

/** The bound parameter holding the site; a user query cannot write `{`, so it cannot collide. */
export const SITE_PARAM = 'sl_site'
/** Prefix of CTE names after renaming: no real table starts with it, so an out-of-scope CTE fails to resolve. */
export const CTE_PREFIX = '__sl_cte_'

export interface Confined {
  /** The SQL the engine runs: re-emitted from tokens, every table read through a site filter. */
  sql: string
  /**
   * The same tokens with every string literal blanked, for EXPLAIN AST: a literal's content
   * cannot change the tree (it is re-escaped), and chdb prints some escapes in EXPLAIN's
   * output as JSON it cannot read back.
   */
  shape: string
  /** How many site-filtered subqueries were injected; the AST check expects exactly these. */
  injected: number
}

/** Words that end a statement's read-only shape or reach beyond its rows; refused wherever they appear bare. */
const REFUSED_WORDS: Record<string, string> = {
  settings: 'SETTINGS clauses are not allowed: the service sets the limits',
  format: 'FORMAT clauses are not allowed: the answer is always JSON',
  into: 'INTO (OUTFILE) is not allowed: a query only returns rows',
  outfile: 'INTO OUTFILE is not allowed: a query only returns rows',
  infile: 'FROM INFILE is not allowed',
  system: 'system tables are not readable: only `events` is',
  information_schema: 'information_schema is not readable: only `events` is',
  insert: 'only SELECT is allowed',
  update: 'only SELECT is allowed',
  delete: 'only SELECT is allowed',
  alter: 'only SELECT is allowed',
  create: 'only SELECT is allowed',
  drop: 'only SELECT is allowed',
  truncate: 'only SELECT is allowed',
  rename: 'only SELECT is allowed',
  attach: 'only SELECT is allowed',
  detach: 'only SELECT is allowed',
  optimize: 'only SELECT is allowed',
  grant: 'only SELECT is allowed',
  revoke: 'only SELECT is allowed',
  kill: 'only SELECT is allowed',
  set: 'SET is not allowed: the service sets the limits',
  use: 'USE is not allowed: queries read this site’s `events` only',
}

/** After a table in FROM/JOIN, these words start the next clause instead of naming an alias. */
const AFTER_TABLE = new Set(
  'where group order limit join left right inner full cross any all asof semi anti on using union having prewhere array final sample global except intersect window qualify offset paste natural'.split(
    ' ',
  ),
)
/** Functions whose argument syntax uses FROM without naming a table: extract(DAY FROM ts), trim(… FROM s). */
const FROM_IN_ARGUMENTS = new Set(['extract', 'trim', 'substring', 'position', 'overlay'])

const lower = (t: Token | undefined) => (t?.kind === 'word' ? t.text.toLowerCase() : undefined)
const isName = (t: Token | undefined): t is Extract<Token, { kind: 'word' | 'quoted' }> =>
  t?.kind === 'word' || t?.kind === 'quoted'

/**
 * Checks a user's query token by token and rewrites it so it can only see `site`'s rows:
 * one SELECT (WITH/UNION allowed), every `events` in FROM/JOIN replaced by
 * `(SELECT * FROM db.events WHERE site_id = {sl_site:String}) AS events`, CTE names moved out
 * of the way of real tables. Throws Refused naming what was refused. The engine's own parser
 * then checks the result (ast-check.ts): this pass is the rewrite, that one is the proof.
 */
export function confine(userSql: string, database: string): Confined {
  let tokens = tokenize(userSql)
  if (tokens.at(-1)?.kind === 'op' && tokens.at(-1)?.text === ';') tokens = tokens.slice(0, -1)
  if (tokens.length === 0) throw new Refused('the query is empty')
  if (tokens.some((t) => t.kind === 'op' && t.text === ';')) {
    throw new Refused('multiple statements are not allowed: send one SELECT')
  }
  const first = lower(tokens[0])
  if (first !== 'select' && first !== 'with')
    throw new Refused('only a SELECT statement (optionally starting WITH) is allowed')
  for (const t of tokens) {
    const why = t.kind === 'word' ? REFUSED_WORDS[t.text.toLowerCase()] : undefined
    if (why !== undefined) throw new Refused(`${why} (\`${t.text}\` at ${t.at})`)
  }

  const ctes = cteNames(tokens)
  const tablePositions = findTablePositions(tokens)
  const out: string[] = []
  const shape: string[] = []
  const blanked = new Set<number>()
  let injected = 0
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!
    if (tablePositions.has(i)) {
      if (!isName(t)) throw new Refused(`expected a table name at ${t.at}`)
      const next = tokens[i + 1]
      if (next?.kind === 'op' && next.text === '.') {
        throw new Refused(`other databases are not readable: only \`events\` is (\`${t.text}.\` at ${t.at})`)
      }
      if (next?.kind === 'op' && next.text === '(') {
        throw new Refused(`table functions are not allowed (\`${t.text}(\` at ${t.at})`)
      }
      if (CONFINED_TABLES.includes(t.text)) {
        out.push(`(SELECT * FROM \`${database}\`.\`${t.text}\` WHERE site_id = {${SITE_PARAM}:String})`)
        injected++
        const aliased = lower(next) === 'as' || (isName(next) && !AFTER_TABLE.has(lower(next) ?? ''))
        if (!aliased) out.push(`AS \`${t.text}\``)
        else if (lower(next) === 'as') {
          // The alias the user wrote is kept as written, even when it is `events`.
          out.push('AS', emitName(tokens[i + 2], ctes))
          i += 2
        }
        continue
      }
      if (ctes.has(t.text)) {
        out.push(`\`${CTE_PREFIX}${t.text}\``)
        continue
      }
      throw new Refused(
        `table \`${t.text}\` is not readable: only \`events\` and CTEs declared with WITH are (at ${t.at})`,
      )
    }
    if (isName(t) && CONFINED_TABLES.includes(t.text)) {
      const next = tokens[i + 1]
      const prev = tokens[i - 1]
      const qualifier = next?.kind === 'op' && next.text === '.'
      const member = prev?.kind === 'op' && prev.text === '.'
      if (!qualifier && !member) {
        throw new Refused(
          `\`${t.text}\` may only be named in FROM or JOIN, or as a column qualifier (at ${t.at})`,
        )
      }
    }
    out.push(emit(t, tokens[i - 1], ctes))
    if (t.kind === 'string') blanked.add(out.length - 1)
  }
  const sql = joinTokens(out)
  for (const [i, part] of out.entries()) shape.push(blanked.has(i) ? "''" : part)
  return { sql, shape: joinTokens(shape), injected }
}

/** `name AS ( SELECT|WITH` declares a CTE; any other `AS (` is an expression alias. */
function cteNames(tokens: Token[]): Set<string> {
  const names = new Set<string>()
  for (let i = 0; i + 3 < tokens.length; i++) {
    const [name, as, open, body] = [tokens[i], tokens[i + 1], tokens[i + 2], tokens[i + 3]]
    if (!isName(name) || lower(as) !== 'as' || open?.kind !== 'op' || open.text !== '(') continue
    if (lower(body) !== 'select' && lower(body) !== 'with') continue
    if (CONFINED_TABLES.includes(name.text))
      throw new Refused(`a CTE may not be named \`${name.text}\` (at ${name.at})`)
    names.add(name.text)
  }
  return names
}

/** Indexes of tokens right after FROM or JOIN that name a table (not `(`, not ARRAY JOIN, not extract(… FROM …)). */
function findTablePositions(tokens: Token[]): Set<number> {
  const positions = new Set<number>()
  const openers: (string | undefined)[] = []
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!
    if (t.kind === 'op' && t.text === '(') openers.push(lower(tokens[i - 1]))
    if (t.kind === 'op' && t.text === ')') openers.pop()
    const word = lower(t)
    if (word !== 'from' && word !== 'join') continue
    if (word === 'join' && lower(tokens[i - 1]) === 'array') continue
    if (word === 'from' && FROM_IN_ARGUMENTS.has(openers.at(-1) ?? '')) continue
    const next = tokens[i + 1]
    if (next === undefined) throw new Refused(`${t.text} at ${t.at} names no table`)
    if (next.kind === 'op' && next.text === '(') continue
    positions.add(i + 1)
  }
  return positions
}

function emitName(t: Token | undefined, ctes: Set<string>): string {
  if (!isName(t)) throw new Refused('expected an alias after AS')
  return emit(t, undefined, ctes)
}

function emit(t: Token, prev: Token | undefined, ctes: Set<string>): string {
  switch (t.kind) {
    case 'string':
      return quoteString(t.value)
    case 'number':
    case 'op':
      return t.text
    case 'word':
    case 'quoted': {
      const member = prev?.kind === 'op' && prev.text === '.'
      if (!member && ctes.has(t.text)) return `\`${CTE_PREFIX}${t.text}\``
      return t.kind === 'word' ? t.text : `\`${t.text}\``
    }
  }
}

/** Spaces between tokens, none around `.` so compound names (`properties.plan`, `t.*`) stay compound. */
function joinTokens(parts: string[]): string {
  let sql = ''
  for (const part of parts) {
    if (sql === '' || part === '.' || sql.endsWith('.')) sql += part
    else sql += ` ${part}`
  }
  return sql
}
