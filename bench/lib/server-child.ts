// The server under test, in its own process so it never shares an event loop with the load
// generator, and so every run starts from a fresh heap and a fresh chdb engine.
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { composePipeline, type DedupConfig, type StreamConfig } from '@sightline/ingest-bridge'
import { countEvents, type Warehouse } from '@sightline/warehouse'
import { z } from 'zod'
import {
  closeServer,
  exitWhenOrphaned,
  type InsertTiming,
  listening,
  stoppedReport,
  timeInserts,
} from './child-server.ts'
import { epochNow } from './load.ts'
import type { FromChild, ServerMode, ToChild } from './protocol.ts'

const mode = process.argv[2] as ServerMode
const send = (msg: FromChild) => process.send?.(msg)
const leaving = exitWhenOrphaned()

/** The baseline: read the body, JSON.parse it, answer 200. Nothing else. */
function startBaseline(): Promise<{ port: number; stop: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'))
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    })
  })
  return listen(server, () => closeServer(server))
}

/**
 * Which stream and dedup store the pipeline runs on (BENCH_STACK): the embedded segment log
 * with in-memory dedup, or cluster mode's Kafka (either client, with the bridge's spool in
 * front, as deployed) with Redis dedup.
 */
function stackConfig(dir: string): {
  stream: StreamConfig
  dedup: DedupConfig
  topic?: string
  group?: string
} {
  const stack = process.env.BENCH_STACK ?? 'embedded'
  if (stack === 'embedded')
    return {
      stream: { kind: 'segment-log', dir: join(dir, 'stream'), fsync: process.env.BENCH_FSYNC !== '0' },
      dedup: { kind: 'memory' },
    }
  const client = stack === 'kafkajs' ? 'kafkajs' : 'platformatic'
  return {
    stream: {
      kind: 'kafka',
      brokers: process.env.BENCH_BROKERS!.split(','),
      client,
      // kafkajs has only gzip built in; lz4 was @platformatic/kafka's fastest (bench/kafka-clients).
      compression: client === 'kafkajs' ? 'gzip' : 'lz4',
      spool: { dir: join(dir, 'spool'), fsync: process.env.BENCH_FSYNC !== '0' },
    },
    dedup: { kind: 'redis', url: process.env.BENCH_REDIS_URL!, prefix: process.env.BENCH_REDIS_PREFIX! },
    topic: process.env.BENCH_TOPIC!,
    group: process.env.BENCH_GROUP!,
  }
}

/** Sightline, composed by the same composePipeline as launcher/src/hub.ts. */
async function startSightline(): Promise<{
  port: number
  stop: () => Promise<void>
  watch: (target: number) => void
  expect: (site: string) => void
  timing: InsertTiming
}> {
  const dir = process.env.BENCH_DIR!
  let timing: InsertTiming | undefined
  let loaded = 0
  let target = Number.POSITIVE_INFINITY
  let checking = false

  const pipeline = await composePipeline({
    ...stackConfig(dir),
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
    // BENCH_WRITER=0 (--receiver-only): isolates the receiver from the writer's CPU use.
    ...(process.env.BENCH_WRITER === '0'
      ? {}
      : {
          writer: {
            onLoaded: ({ inserted }: { inserted: number }) => {
              loaded += inserted
              void check()
            },
          },
        }),
    log: (level, msg, fields) => {
      if (level !== 'info') send({ type: 'error', message: `${msg} ${JSON.stringify(fields ?? {})}` })
    },
  })
  const warehouse = pipeline.warehouse!

  // Cheap trigger from the writer's hook; the answer itself always comes from SELECT count().
  async function check(): Promise<void> {
    if (checking || loaded < target) return
    checking = true
    try {
      const count = await countEvents(warehouse, { lane: 'ingest' })
      if (count >= target) {
        const reached = target
        target = Number.POSITIVE_INFINITY
        send({ type: 'loaded', at: epochNow(), count })
        if (count !== reached) send({ type: 'error', message: `count ${count} != expected ${reached}` })
      }
    } finally {
      checking = false
    }
  }

  const probes = probeWatcher(warehouse)
  return {
    port: await listening(pipeline.bridge!),
    timing: timing!,
    watch(t) {
      target = t
      void check()
    },
    expect: probes.expect,
    async stop() {
      probes.stop()
      await pipeline.stop()
    },
  }
}

const SeenRow = z.object({ site_id: z.string() })

/**
 * Polls the warehouse every 25 ms for the sites of probes sent but not yet seen, and reports
 * each one's first visibility: the moment a plain SELECT on the query lane counts it.
 */
function probeWatcher(warehouse: Warehouse): { expect(site: string): void; stop(): void } {
  const pending = new Set<string>()
  let stopped = false
  const poll = async () => {
    while (!stopped) {
      if (pending.size > 0) {
        const rows = await warehouse
          .query({
            name: 'bench.probes_seen',
            sql: 'SELECT DISTINCT site_id FROM events WHERE site_id IN {sites:Array(String)}',
            params: { sites: [...pending] },
            row: SeenRow,
          })
          .catch(() => [])
        const at = epochNow()
        for (const { site_id } of rows) {
          if (pending.delete(site_id)) send({ type: 'seen', site: site_id, at })
        }
      }
      await new Promise((r) => setTimeout(r, 25))
    }
  }
  void poll()
  return {
    expect: (site) => pending.add(site),
    stop: () => {
      stopped = true
    },
  }
}

async function listen(server: Server, stop: () => Promise<void>) {
  server.listen(0, '127.0.0.1')
  const port = await listening(server)
  return { port, stop }
}

async function main(): Promise<void> {
  const started = performance.now()
  const srv =
    mode === 'baseline'
      ? { ...(await startBaseline()), watch: undefined, expect: undefined, timing: undefined }
      : await startSightline()
  send({ type: 'ready', port: srv.port, startupMs: Math.round(performance.now() - started) })
  const cpuAtReady = process.cpuUsage()
  process.on('message', async (msg: ToChild) => {
    if (msg.type === 'watch') {
      if (srv.watch) srv.watch(msg.target)
      else send({ type: 'loaded', at: epochNow(), count: msg.target })
    } else if (msg.type === 'expect') {
      srv.expect?.(msg.site)
    } else if (msg.type === 'stop') {
      const report = stoppedReport(cpuAtReady, srv.timing)
      await srv.stop()
      send(report)
      leaving()
      process.disconnect()
    }
  })
}

main().catch((err) => {
  send({ type: 'error', message: String(err?.stack ?? err) })
  process.exitCode = 1
  process.disconnect?.()
})
