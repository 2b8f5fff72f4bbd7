/**
 * A deliberately small, tolerant reader for the RFC 8941 structured-header shapes that
 * User-Agent Client Hints use: a list of strings with parameters (`Sec-CH-UA`), a single
 * string (`Sec-CH-UA-Platform`) and a boolean (`Sec-CH-UA-Mobile`).
 *
 * Tolerant on purpose: these headers arrive from anyone on the internet, so anything we
 * cannot read is dropped item by item instead of failing the whole header, and nothing
 * here throws. Sizes are capped so a hostile 64 KB header costs a bounded amount of work.
 */

export type BareItem = string | number | boolean

export interface ListItem {
  value: BareItem
  params: Record<string, BareItem>
}

/** Client hints are short; anything longer is not something a browser sent. */
const MAX_HEADER_CHARS = 2048
const MAX_LIST_ITEMS = 32
const MAX_STRING_CHARS = 256

interface Cursor {
  s: string
  i: number
}

function skipSpaces(c: Cursor): void {
  while (c.i < c.s.length && (c.s[c.i] === ' ' || c.s[c.i] === '\t')) c.i++
}

function readString(c: Cursor): string | undefined {
  // Caller saw the opening quote.
  c.i++
  let out = ''
  while (c.i < c.s.length) {
    const ch = c.s[c.i++]
    if (ch === '\\') {
      const next = c.s[c.i++]
      if (next !== '"' && next !== '\\') return undefined
      out += next
    } else if (ch === '"') {
      return out.length <= MAX_STRING_CHARS ? out : out.slice(0, MAX_STRING_CHARS)
    } else {
      const code = ch!.charCodeAt(0)
      // RFC 8941 strings are printable ASCII only.
      if (code < 0x20 || code > 0x7e) return undefined
      out += ch
    }
  }
  return undefined // unterminated
}

function readToken(c: Cursor): string {
  const start = c.i
  while (c.i < c.s.length && /[A-Za-z0-9!#$%&'*+\-.^_`|~:/]/.test(c.s[c.i]!)) c.i++
  return c.s.slice(start, c.i)
}

function readBareItem(c: Cursor): BareItem | undefined {
  const ch = c.s[c.i]
  if (ch === '"') return readString(c)
  if (ch === '?') {
    const v = c.s[c.i + 1]
    c.i += 2
    return v === '1' ? true : v === '0' ? false : undefined
  }
  if (ch !== undefined && /[-0-9]/.test(ch)) {
    const m = /^-?\d{1,15}(\.\d{1,3})?/.exec(c.s.slice(c.i, c.i + 20))
    if (!m) return undefined
    c.i += m[0].length
    return Number(m[0])
  }
  if (ch !== undefined && /[A-Za-z*]/.test(ch)) return readToken(c)
  return undefined
}

function readParams(c: Cursor): Record<string, BareItem> {
  // A null-prototype object: a parameter named "__proto__" must stay a plain key.
  const params: Record<string, BareItem> = Object.create(null)
  while (c.s[c.i] === ';') {
    c.i++
    skipSpaces(c)
    const key = readToken(c).toLowerCase()
    let value: BareItem | undefined = true
    if (c.s[c.i] === '=') {
      c.i++
      value = readBareItem(c)
    }
    if (key && value !== undefined) params[key] = value
  }
  return params
}

/** Skips to just past the next top-level comma (quoted commas do not count). */
function skipToNextMember(c: Cursor): void {
  let quoted = false
  while (c.i < c.s.length) {
    const ch = c.s[c.i++]
    if (quoted && ch === '\\') c.i++
    else if (ch === '"') quoted = !quoted
    else if (ch === ',' && !quoted) return
  }
}

/** `"Chromium";v="124", "Not-A.Brand";v="99"` → items; unreadable members are skipped. */
export function parseList(header: string | null | undefined): ListItem[] {
  if (typeof header !== 'string' || header.length === 0 || header.length > MAX_HEADER_CHARS) return []
  const c: Cursor = { s: header, i: 0 }
  const items: ListItem[] = []
  while (c.i < c.s.length && items.length < MAX_LIST_ITEMS) {
    skipSpaces(c)
    const start = c.i
    const value = readBareItem(c)
    if (value === undefined || c.i === start) {
      skipToNextMember(c)
      continue
    }
    const params = readParams(c)
    skipSpaces(c)
    if (c.i < c.s.length && c.s[c.i] !== ',') {
      skipToNextMember(c) // trailing garbage: drop this member only
      continue
    }
    c.i++
    items.push({ value, params })
  }
  return items
}

/** A single item header, e.g. `"Windows"` or `?1`; undefined when unreadable. */
export function parseItem(header: string | null | undefined): BareItem | undefined {
  const [first, ...rest] = parseList(header)
  return first && rest.length === 0 ? first.value : undefined
}

export function parseString(header: string | null | undefined): string | undefined {
  const value = parseItem(header)
  return typeof value === 'string' && value !== '' ? value : undefined
}

export function parseBoolean(header: string | null | undefined): boolean | undefined {
  const value = parseItem(header)
  return typeof value === 'boolean' ? value : undefined
}
