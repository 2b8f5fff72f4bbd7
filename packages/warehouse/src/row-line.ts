/**
 * JSONEachRow encoding of rows, shared by `Warehouse.insert` and callers that encode ahead of
 * time: the writer encodes batch n+1 while batch n is inside the engine, so the encoding
 * (a visible share of the writer's main-thread CPU) overlaps the insert instead of adding to it.
 */

/**
 * A row already encoded as one JSONEachRow line (no trailing newline); `insert` sends it as is.
 * `site_id` repeats the row's site, so whoever watches inserts (the data watermark) can tell
 * which sites a load touched without parsing the line again.
 */
export class EncodedRow {
  constructor(
    readonly line: string,
    readonly site_id?: string,
  ) {}
}

export interface EncodeOptions {
  /** See InsertOptions.omitZeroValues. */
  omitZeroValues?: boolean
}

export function encodeRow(row: object, options: EncodeOptions = {}): string {
  if (row instanceof EncodedRow) return row.line
  return JSON.stringify(options.omitZeroValues ? withoutZeroValues(row) : row)
}

/** A shallow copy without top-level zero values; nested values (properties) are untouched. */
function withoutZeroValues(row: object): object {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(row)) {
    if (value === '' || value === 0 || value === false || value === null || value === undefined) continue
    if (Array.isArray(value) && value.length === 0) continue
    out[key] = value
  }
  return out
}
