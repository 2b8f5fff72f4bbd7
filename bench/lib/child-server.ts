// Pieces both benchmark server processes (server-child, freshness-child) use.
import type { Server } from 'node:http'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { Warehouse } from '@sightline/warehouse'
import type { FromChild, InsertStats } from './protocol.ts'

export interface InsertTiming {
  stats: { calls: number; rows: number; ms: number; maxRows: number }
  /** Wall time of every insert call, in call order (0.1 ms resolution). */
  durationsMs: number[]
}

/** Where the writer's time goes: wall time inside warehouse.insert (row encoding + chdb). */
export function timeInserts(w: Warehouse): { warehouse: Warehouse; timing: InsertTiming } {
  const timing: InsertTiming = { stats: { calls: 0, rows: 0, ms: 0, maxRows: 0 }, durationsMs: [] }
  const warehouse: Warehouse = {
    ...w,
    async insert(table, rows, options) {
      const started = performance.now()
      try {
        await w.insert(table, rows, options)
      } finally {
        const ms = performance.now() - started
        timing.durationsMs.push(Math.round(ms * 10) / 10)
        timing.stats.ms += ms
        timing.stats.calls += 1
        timing.stats.rows += rows.length
        timing.stats.maxRows = Math.max(timing.stats.maxRows, rows.length)
      }
    },
  }
  return { warehouse, timing }
}

export function insertReport(timing: InsertTiming): InsertStats {
  return { ...timing.stats, ms: Math.round(timing.stats.ms) }
}

/** The port a server listens on, once it does. */
export function listening(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    const done = () => {
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : 0)
    }
    if (server.listening) done()
    else server.once('listening', done).once('error', reject)
  })
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

type LoopHistogram = ReturnType<typeof monitorEventLoopDelay>

/** Starts measuring event-loop delay (10 ms resolution), for the stopped report. */
export function watchEventLoop(): LoopHistogram {
  const histogram = monitorEventLoopDelay({ resolution: 10 })
  histogram.enable()
  return histogram
}

/** The report a server process sends when stopped: its CPU since ready, peak memory, inserts. */
export function stoppedReport(
  cpuAtReady: NodeJS.CpuUsage,
  timing: InsertTiming | undefined,
  loop?: LoopHistogram,
): FromChild {
  const cpu = process.cpuUsage(cpuAtReady)
  const ms = (ns: number) => Math.round(ns / 1e5) / 10
  return {
    ...(loop
      ? {
          eventLoopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
        }
      : {}),
    type: 'stopped',
    cpuUserMs: Math.round(cpu.user / 1000),
    cpuSystemMs: Math.round(cpu.system / 1000),
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    // A server that never inserts (the baseline) reports zeros.
    inserts: timing ? insertReport(timing) : { calls: 0, rows: 0, ms: 0, maxRows: 0 },
    ...(timing ? { insertDurationsMs: timing.durationsMs } : {}),
  }
}

/**
 * A server process whose parent died (a crashed benchmark) exits instead of living on: an
 * orphan keeps the engine's threads busy and holds the benchmark lock the parent took, so
 * every later run would measure beside it or wait for it. Returns the call that marks the
 * process's own disconnect at a clean stop.
 */
export function exitWhenOrphaned(): () => void {
  let leaving = false
  process.on('disconnect', () => {
    if (!leaving) process.exit(1)
  })
  return () => {
    leaving = true
  }
}
