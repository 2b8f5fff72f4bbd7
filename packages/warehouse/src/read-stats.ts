import type { ResponseHeaders } from '@clickhouse/client'
import type { ReadStats } from './port.ts'

/**
 * How a mode learns what a read cost (QueryOptions.onStats).
 *
 * - `progress` (embedded): chdb's own result metrics count result rows, not rows read, and
 *   chdb has no system.query_log (ADR 0001); the connection hands back no headers. The engine's
 *   progress does count rows read: a read asking for stats is fetched as
 *   JSONEachRowWithProgress, whose progress lines are cumulative and whose last one, after the
 *   rows, equals the `statistics` of the JSON format (measured on chdb 3.4 / engine 26.7: 20M
 *   rows scanned → read_rows 20000000, also across joins and subqueries). A read that touched
 *   no data (`WHERE 0`, granules skipped by the query condition cache) has no progress line:
 *   it read nothing, and JSON's statistics say 0 as well.
 * - `summary` (HTTP): the server's X-ClickHouse-Summary header. It is written when the
 *   response headers leave, so it covers the whole query only when the server waits for the
 *   end before answering (`wait_end_of_query = 1`, which stats-asking `query()` reads send).
 *   The repository's tests do not run this against a live ClickHouse server: they test the
 *   header's parsing and the request through the client (test/read-stats.test.ts).
 */
export type StatsSource = 'progress' | 'summary'

/** The format a read asks for: the progress format only when it is how this mode meters. */
export function readFormat(source: StatsSource, metered: boolean): 'JSONEachRow' | 'JSONEachRowWithProgress' {
  return metered && source === 'progress' ? 'JSONEachRowWithProgress' : 'JSONEachRow'
}

/** Marks an item of a progress-format read that is not a data row (meta, progress, limits). */
export const NOT_A_ROW: unique symbol = Symbol('not a row')

/**
 * Follows one read: hands each item's data row on and keeps what the engine said it read.
 * For `summary` items are rows as they are and the count comes from the headers.
 */
export class ReadMeter {
  /** The last progress line; 'unreadable' when one could not be read (then nothing is said). */
  private progress: ReadStats | 'unreadable' | undefined
  private readonly source: StatsSource
  private readonly headers: ResponseHeaders

  constructor(source: StatsSource, headers: ResponseHeaders) {
    this.source = source
    this.headers = headers
  }

  /** The data row an item carries, or NOT_A_ROW. An exception line fails the read. */
  take(item: unknown): unknown {
    if (this.source === 'summary') return item
    if (typeof item !== 'object' || item === null) return item
    if ('row' in item) return item.row
    if ('progress' in item) {
      this.progress = countersOf(item.progress) ?? 'unreadable'
      return NOT_A_ROW
    }
    // The format can carry a failure that came after the first rows as an exception line.
    // chdb fails the whole call instead, but should one come, it must end the read.
    if ('exception' in item) throw new Error(String(item.exception))
    return NOT_A_ROW
  }

  /** What the read cost, once all its items were taken; undefined when the engine did not say. */
  total(): ReadStats | undefined {
    if (this.source === 'summary') return summaryStats(this.headers)
    if (this.progress === 'unreadable') return undefined
    return this.progress ?? { rowsRead: 0, bytesRead: 0 }
  }
}

/** ClickHouse sends UInt64 counters as decimal strings; anything else is not a count. */
function count(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value
  if (typeof value !== 'string' || !/^\d{1,20}$/.test(value)) return undefined
  return Number(value)
}

/** `{read_rows, read_bytes, …}` (a progress line or the summary header) → counts, if both read. */
function countersOf(counters: unknown): ReadStats | undefined {
  if (typeof counters !== 'object' || counters === null) return undefined
  const { read_rows, read_bytes } = counters as { read_rows?: unknown; read_bytes?: unknown }
  const rowsRead = count(read_rows)
  const bytesRead = count(read_bytes)
  return rowsRead === undefined || bytesRead === undefined ? undefined : { rowsRead, bytesRead }
}

/**
 * `X-ClickHouse-Summary: {"read_rows":"…","read_bytes":"…",…}` from the response headers
 * (node's http lower-cases header names), or undefined when it is missing or malformed: a
 * proxy may strip it, and a count we cannot read must not be reported as zero.
 */
export function summaryStats(headers: ResponseHeaders): ReadStats | undefined {
  const header = headers['x-clickhouse-summary']
  const text = Array.isArray(header) ? header.at(-1) : header
  if (typeof text !== 'string') return undefined
  try {
    return countersOf(JSON.parse(text))
  } catch {
    return undefined
  }
}
