import { availableParallelism } from 'node:os'
import type { ReadLaneConfig, ReadLimits, WarehouseConfig } from './port.ts'

/**
 * Defaults for every read. Generous for a dashboard over a year of a busy site, small
 * enough that one runaway query costs seconds and a fraction of the machine's memory
 * instead of the 11 GB the unbounded hub reached.
 */
export const DEFAULT_READ_LIMITS: Readonly<ReadLimits> = {
  maxExecutionTimeS: 10,
  maxMemoryBytes: 512 * 1024 * 1024,
  maxResultRows: 100_000,
  /** 0 = the engine's default (one per core); embedded mode keeps a core free, see below. */
  maxThreads: 0,
}

/**
 * Reads in flight per mode. A chdb session runs one statement at a time (and chdb runs all
 * parameterised statements of the process one at a time), so a second embedded read could
 * only wait inside the engine, holding a libuv thread the writer's inserts and the segment
 * log's fsyncs need: it waits here instead, with its deadline and abort (ADR 0014). A server
 * runs reads in parallel, so HTTP mode lets a few through.
 */
export const DEFAULT_MAX_CONCURRENT_READS = { embedded: 1, http: 4 } as const

/**
 * Threads per read when the config names none. In-process, a read that took every core left
 * the writer's inserts competing for CPU (insert p95 286 → 82 ms with one core kept free,
 * ADR 0014); a server is sized for its reads, so HTTP mode leaves the choice to it.
 */
export function defaultMaxThreads(mode: WarehouseConfig['mode']): number {
  return mode === 'embedded' ? Math.max(1, availableParallelism() - 1) : 0
}

export function resolveReadLimits(
  config: ReadLaneConfig | undefined,
  mode: WarehouseConfig['mode'],
): ReadLimits {
  const limits = {
    maxExecutionTimeS: config?.maxExecutionTimeS ?? DEFAULT_READ_LIMITS.maxExecutionTimeS,
    maxMemoryBytes: config?.maxMemoryBytes ?? DEFAULT_READ_LIMITS.maxMemoryBytes,
    maxResultRows: config?.maxResultRows ?? DEFAULT_READ_LIMITS.maxResultRows,
    maxThreads: config?.maxThreads ?? defaultMaxThreads(mode),
  }
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`invalid read limit ${key}: ${value}`)
  }
  return limits
}

/**
 * The SETTINGS clause appended to a read. A query-level clause (not session `SET`s, which is
 * what chdb makes of client settings) scopes the bounds to this one statement, so nothing
 * leaks into the inserts that share a session. `log_comment` carries the query's tag so
 * KILL QUERY can find it in system.processes (chdb does not forward a client-chosen query_id).
 */
export function settingsClause(
  limits: ReadLimits,
  tag: string,
  options: { readonly?: boolean } = {},
): string {
  if (!SAFE_TAG.test(tag)) throw new Error(`unsafe query tag: ${JSON.stringify(tag)}`)
  const whole = (n: number) => Math.floor(n)
  // readonly = 1 rather than 2: 2 would still let the statement change settings and run
  // table functions; the bounds above are part of the same clause, so they still apply.
  const readonly = options.readonly === true ? ['readonly = 1'] : []
  return [
    `max_execution_time = ${whole(limits.maxExecutionTimeS)}`,
    "timeout_overflow_mode = 'throw'",
    `max_memory_usage = ${whole(limits.maxMemoryBytes)}`,
    `max_result_rows = ${whole(limits.maxResultRows)}`,
    "result_overflow_mode = 'throw'",
    `max_threads = ${whole(limits.maxThreads)}`,
    `log_comment = '${tag}'`,
    ...readonly,
  ].join(', ')
}

/** Tags are built from validated names and ids; this guard keeps them literal-safe. */
export const SAFE_TAG = /^[A-Za-z0-9_.:-]{1,200}$/
