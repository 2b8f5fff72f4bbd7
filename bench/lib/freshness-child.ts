// The server under test for bench/freshness.ts: the embedded hub, composed by the same
// composePipeline as launcher/src/hub.ts — bridge receiver + segment log (fsync on) + writer
// (memory dedup) + chdb + the query service — in ONE process (chdb allows one engine per data path per process), forked
// so it never shares an event loop with the load generator and starts fresh per load level.
import { join } from 'node:path'
import { composePipeline } from '@sightline/ingest-bridge'
import {
  exitWhenOrphaned,
  type InsertTiming,
  listening,
  stoppedReport,
  timeInserts,
  watchEventLoop,
} from './child-server.ts'
import { createQueryApp, staticReadKeys } from './deps.ts'
import type { FromChild, ToChild } from './protocol.ts'

const send = (msg: FromChild) => process.send?.(msg)
const leaving = exitWhenOrphaned()

async function startHub() {
  const dir = process.env.BENCH_DIR!
  let timing: InsertTiming | undefined
  const pipeline = await composePipeline({
    stream: { kind: 'segment-log', dir: join(dir, 'stream'), fsync: true },
    dedup: { kind: 'memory' },
    warehouse: { mode: 'embedded', path: join(dir, 'chdb'), database: 'bench' },
    wrapWarehouse: (opened) => {
      const timed = timeInserts(opened)
      timing = timed.timing
      return timed.warehouse
    },
    receiver: {
      host: '127.0.0.1',
      port: 0,
      signingKeys: { [process.env.BENCH_KEY_ID!]: process.env.BENCH_SECRET! },
    },
    // The hub's defaults, spelled out because the report quotes maxWaitMs.
    writer: { maxWaitMs: Number(process.env.BENCH_MAX_WAIT_MS ?? 200) },
    log: (level, msg, fields) => {
      if (level !== 'info') send({ type: 'error', message: `${msg} ${JSON.stringify(fields ?? {})}` })
    },
  })
  // The hub's resolver (staticReadKeys), with one read key granted every probe site.
  const keys = staticReadKeys({
    read_keys: [{ key: process.env.BENCH_READ_KEY!, sites: process.env.BENCH_PROBE_SITES!.split(',') }],
  })
  const query = await pipeline.listen(
    createQueryApp({ warehouse: pipeline.warehouse!, keys, clock: () => new Date() }).fetch,
    { host: '127.0.0.1', port: 0, limits: { maxBodyBytes: 64 * 1024 } },
  )
  return {
    port: await listening(pipeline.bridge!),
    queryPort: await listening(query),
    timing: timing!,
    stop: pipeline.stop,
  }
}

async function main(): Promise<void> {
  const started = performance.now()
  const hub = await startHub()
  send({
    type: 'ready',
    port: hub.port,
    queryPort: hub.queryPort,
    startupMs: Math.round(performance.now() - started),
  })
  const cpuAtReady = process.cpuUsage()
  const loop = watchEventLoop()
  process.on('message', async (msg: ToChild) => {
    if (msg.type !== 'stop') return
    const report = stoppedReport(cpuAtReady, hub.timing, loop)
    await hub.stop()
    send(report)
    leaving()
    process.disconnect()
  })
}

main().catch((err) => {
  send({ type: 'error', message: String(err?.stack ?? err) })
  process.exitCode = 1
  process.disconnect?.()
})
