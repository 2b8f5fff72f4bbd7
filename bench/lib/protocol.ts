/** Messages between the benchmark (parent) and the server under test (a forked child). */
export type ToChild =
  | { type: 'watch'; target: number }
  /** Report when this site's first event is visible to a warehouse SELECT (cluster-throughput's probes). */
  | { type: 'expect'; site: string }
  | { type: 'stop' }

export type FromChild =
  | { type: 'ready'; port: number; startupMs: number; queryPort?: number }
  | { type: 'loaded'; at: number; count: number }
  | { type: 'seen'; site: string; at: number }
  | {
      type: 'stopped'
      cpuUserMs: number
      cpuSystemMs: number
      maxRssMb: number
      inserts: InsertStats
      /** freshness-child only: wall time of each warehouse.insert call, in call order. */
      insertDurationsMs?: number[]
      /** Event-loop delay since ready (ms): how long a request could wait behind other work. */
      eventLoopDelayMs?: { p50: number; p99: number; max: number }
    }
  | { type: 'error'; message: string }

export type ServerMode = 'baseline' | 'sightline'

/** Totals over the run (warm-up included) of the writer's warehouse.insert calls. */
export interface InsertStats {
  calls: number
  rows: number
  ms: number
  maxRows: number
}
