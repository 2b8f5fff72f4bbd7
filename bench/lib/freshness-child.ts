// The server under test for bench/freshness.ts: the embedded hub as launcher/src/hub.ts
// composes it — bridge receiver + segment log (fsync on) + writer (memoryDedup) + chdb + the
// query service — in ONE process (chdb allows one engine per data path per process), forked
// so it never shares an event loop with the load generator and starts fresh per load level.
import type { Server } from 'node:http'
import { join } from 'node:path'
import { Counters, createApp as createBridgeApp, startWriter } from '@sightline/ingest-bridge'
import { segmentLogStream } from '@sightline/stream'
import { migrate, openWarehouse } from '@sightline/warehouse'
import { closeServer, listening, stoppedReport, timeInserts } from './child-server.ts'
import { createQueryApp, memoryDedup, serve, staticReadKeys } from './deps.ts'
import type { FromChild, ToChild } from './protocol.ts'

const send = (msg: FromChild) => process.send?.(msg)

async function startHub() {
  const dir = process.env.BENCH_DIR!
  const topic = 'events.v1'
  const opened = await openWarehouse({ mode: 'embedded', path: join(dir, 'chdb'), database: 'bench' })
  await migrate(opened)
  const { warehouse, timing } = timeInserts(opened)
  const stream = segmentLogStream({ dir: join(dir, 'stream'), fsync: true })
  const counters = new Counters()
  const writer = startWriter({
    stream,
    warehouse,
    dedup: memoryDedup(),
    counters,
    topic,
    group: 'writer',
    // The hub's defaults, spelled out because the report quotes maxWaitMs.
    maxWaitMs: Number(process.env.BENCH_MAX_WAIT_MS ?? 200),
    log: (level, msg, fields) => {
      if (level !== 'info') send({ type: 'error', message: `${msg} ${JSON.stringify(fields ?? {})}` })
    },
  })
  const bridge = serve({
    fetch: createBridgeApp({
      stream,
      topic,
      counters,
      signingKeys: { [process.env.BENCH_KEY_ID!]: process.env.BENCH_SECRET! },
    }).fetch,
    hostname: '127.0.0.1',
    port: 0,
  }) as Server
  // The hub's resolver (staticReadKeys), with one read key granted every probe site.
  const keys = staticReadKeys({
    read_keys: [{ key: process.env.BENCH_READ_KEY!, sites: process.env.BENCH_PROBE_SITES!.split(',') }],
  })
  const query = serve({
    fetch: createQueryApp({ warehouse, keys, clock: () => new Date() }).fetch,
    hostname: '127.0.0.1',
    port: 0,
  }) as Server
  const [b, q] = await Promise.all([listening(bridge), listening(query)])
  return {
    port: b,
    queryPort: q,
    timing,
    async stop() {
      await Promise.all([closeServer(bridge), closeServer(query)])
      await writer.stop()
      await stream.close()
      await warehouse.close()
    },
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
  process.on('message', async (msg: ToChild) => {
    if (msg.type !== 'stop') return
    const report = stoppedReport(cpuAtReady, hub.timing)
    await hub.stop()
    send(report)
    process.disconnect()
  })
}

main().catch((err) => {
  send({ type: 'error', message: String(err?.stack ?? err) })
  process.exitCode = 1
  process.disconnect?.()
})
