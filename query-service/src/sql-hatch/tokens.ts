/**
 * A deliberately small lexer for the SQL escape hatch. It does not try to agree with every
 * corner of ClickHouse's lexer: it accepts a strict subset and the hatch re-emits the query
 * from these tokens (see `emit`), so what the engine parses is exactly what was checked —
 * comments gone, identifiers re-quoted, strings re-escaped. Anything outside the subset
 * (heredocs, `{param}` placeholders, odd bytes) is refused with its position.
 */

export type Token =
  | { kind: 'word'; text: string; at: number }
  | { kind: 'quoted'; text: string; at: number }
  | { kind: 'string'; text: string; value: string; at: number }
  | { kind: 'number'; text: string; at: number }
  | { kind: 'op'; text: string; at: number }

export class Refused extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'Refused'
  }
}

/** Longest first, so `<=` is not read as `<` then `=`. */
const OPERATORS = [
  '->',
  '::',
  '<=',
  '>=',
  '!=',
  '<>',
  '==',
  '||',
  '(',
  ')',
  '[',
  ']',
  ',',
  '.',
  '+',
  '-',
  '*',
  '/',
  '%',
  '=',
  '<',
  '>',
  '?',
  ':',
  ';',
]
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y
const NUMBER = /(?:0x[0-9A-Fa-f]+|0b[01]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?![A-Za-z0-9_])/y
/** Quoted identifiers may hold property keys (`properties.\`$plan\``), nothing that needs escaping. */
const SAFE_QUOTED = /^[A-Za-z0-9_$.:@ -]{1,100}$/

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < sql.length) {
    const c = sql[i]!
    if (/\s/.test(c)) {
      i++
    } else if (sql.startsWith('--', i) || c === '#') {
      const end = sql.indexOf('\n', i)
      i = end === -1 ? sql.length : end + 1
    } else if (sql.startsWith('/*', i)) {
      i = skipBlockComment(sql, i)
    } else if (c === "'") {
      const { value, end } = readString(sql, i)
      tokens.push({ kind: 'string', text: sql.slice(i, end), value, at: i })
      i = end
    } else if (c === '`' || c === '"') {
      const end = sql.indexOf(c, i + 1)
      const text = end === -1 ? '' : sql.slice(i + 1, end)
      if (end === -1 || !SAFE_QUOTED.test(text)) {
        throw new Refused(
          `quoted identifier at ${i}: only letters, digits and _ $ . : @ - and space are allowed inside ${c}…${c}`,
        )
      }
      tokens.push({ kind: 'quoted', text, at: i })
      i = end + 1
    } else if (/[0-9.]/.test(c) && !(c === '.' && followsName(tokens.at(-1))) && matchAt(NUMBER, sql, i)) {
      const text = matchAt(NUMBER, sql, i)!
      tokens.push({ kind: 'number', text, at: i })
      i += text.length
    } else if (matchAt(WORD, sql, i)) {
      const text = matchAt(WORD, sql, i)!
      tokens.push({ kind: 'word', text, at: i })
      i += text.length
    } else {
      const op = OPERATORS.find((o) => sql.startsWith(o, i))
      if (op === undefined) throw new Refused(`unexpected character ${JSON.stringify(c)} at ${i}`)
      tokens.push({ kind: 'op', text: op, at: i })
      i += op.length
    }
  }
  return tokens
}

/** `t.1` and `(a).2` are element access, not the number .1. */
function followsName(prev: Token | undefined): boolean {
  return (
    prev?.kind === 'word' ||
    prev?.kind === 'quoted' ||
    (prev?.kind === 'op' && (prev.text === ')' || prev.text === ']'))
  )
}

function matchAt(pattern: RegExp, sql: string, at: number): string | undefined {
  pattern.lastIndex = at
  return pattern.exec(sql)?.[0]
}

/** ClickHouse nests block comments, so this does too; an unclosed one is refused. */
function skipBlockComment(sql: string, start: number): number {
  let depth = 0
  let i = start
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth++
      i += 2
    } else if (sql.startsWith('*/', i)) {
      depth--
      i += 2
      if (depth === 0) return i
    } else {
      i++
    }
  }
  throw new Refused(`unclosed /* comment at ${start}`)
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '`': '`',
}

/** 'it''s' and 'it\'s' both read as it's; other backslash escapes are refused, not guessed. */
function readString(sql: string, start: number): { value: string; end: number } {
  let value = ''
  let i = start + 1
  while (i < sql.length) {
    const c = sql[i]!
    if (c === "'" && sql[i + 1] === "'") {
      value += "'"
      i += 2
    } else if (c === "'") {
      return { value, end: i + 1 }
    } else if (c === '\\') {
      const escaped = ESCAPES[sql[i + 1] ?? '']
      if (escaped === undefined) throw new Refused(`unsupported escape in string at ${i}`)
      value += escaped
      i += 2
    } else {
      value += c
      i++
    }
  }
  throw new Refused(`unclosed string starting at ${start}`)
}

/** A string literal the engine reads back as exactly `value`. */
export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\0/g, '\\0')}'`
}
