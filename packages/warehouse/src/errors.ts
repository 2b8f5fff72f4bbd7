/**
 * Why a warehouse call failed, as a value the caller can map: a bounded query that hit its
 * bound is the request's fault (4xx/504), an engine that does not answer is an outage (503).
 */
export type WarehouseErrorKind =
  /** max_execution_time passed, or the query waited its whole deadline for a read slot. */
  | 'timeout'
  /** max_memory_usage or max_result_rows was hit. */
  | 'too_large'
  /** The caller's signal aborted the query (the client went away). */
  | 'cancelled'
  /** A returned row did not match the query's row schema (a bug in the query, not the input). */
  | 'bad_rows'
  /** Anything else: the engine refused or could not be reached. */
  | 'failed'

export class WarehouseError extends Error {
  readonly kind: WarehouseErrorKind
  readonly queryName: string
  readonly queryId: string

  // Plain fields rather than parameter properties: Node's type stripping cannot run those.
  constructor(
    kind: WarehouseErrorKind,
    queryName: string,
    queryId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${queryName} (${queryId}): ${message}`, options)
    this.name = 'WarehouseError'
    this.kind = kind
    this.queryName = queryName
    this.queryId = queryId
  }
}

// ClickHouse error codes (src/Common/ErrorCodes.cpp) and the kind each one means here.
const KIND_BY_CODE: Record<string, WarehouseErrorKind> = {
  '159': 'timeout', // TIMEOUT_EXCEEDED
  '241': 'too_large', // MEMORY_LIMIT_EXCEEDED
  '158': 'too_large', // TOO_MANY_ROWS
  '396': 'too_large', // TOO_MANY_ROWS_OR_BYTES
  '394': 'cancelled', // QUERY_WAS_CANCELLED
}

// chdb does not always keep the code (its JS layer rejects early on abort, and some native
// messages arrive without the "Code: N." prefix), so the message is the fallback.
const KIND_BY_MESSAGE: Array<[RegExp, WarehouseErrorKind]> = [
  [/Timeout exceeded|timed out/i, 'timeout'],
  [/memory limit exceeded/i, 'too_large'],
  [/Limit for result exceeded|Limit for rows/i, 'too_large'],
  [/Query was cancelled|aborted/i, 'cancelled'],
]

export function classifyEngineError(error: unknown): WarehouseErrorKind {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && KIND_BY_CODE[code]) return KIND_BY_CODE[code]
  const message = error instanceof Error ? error.message : String(error)
  for (const [pattern, kind] of KIND_BY_MESSAGE) if (pattern.test(message)) return kind
  return 'failed'
}
