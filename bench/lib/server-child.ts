// The server under test, in its own process so it never shares an event loop with the load
// generator, and so every run starts from a fresh heap and a fresh chdb engine.
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { Counters, createApp, startWriter } from '@sightline/ingest-bridge'
import { segmentLogStream } from '@sightline/stream'
import { migrate, openWarehouse } from '@sightline/warehouse'
import { closeServer, type InsertTiming, listening, stoppedReport, timeInserts } from './child-server.ts'
import { memoryDedup, serve } from './deps.ts'
import { epochNow } from './load.ts'
import type { FromChild, ServerMode, ToChild } from './protocol.ts'

const mode = process.argv[2] as ServerMode
const send = (msg: FromChild) => process.send?.(msg)

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

/** Sightline embedded, composed like launcher/src/hub.ts: receiver + writer + chdb in one process. */
async function startSightline(): Promise<{
  port: number
  stop: () => Promise<void>
  watch: (target: number) => void
  timing: InsertTiming
}> {
  const dir = process.env.BENCH_DIR!
  const topic = 'events.v1'
  const opened = await openWarehouse({ mode: 'embedded', path: join(dir, 'chdb'), database: 'bench' })
  await migrate(opened)
  const { warehouse, timing } = timeInserts(opened)
  const stream = segmentLogStream({ dir: join(dir, 'stream'), fsync: process.env.BENCH_FSYNC !== '0' })
  const counters = new Counters()
  let loaded = 0
  let target = Number.POSITIVE_INFINITY
  let checking = false

  // Cheap trigger from the writer's hook; the answer itself always comes from SELECT count().
  async function check(): Promise<void> {
    if (checking || loaded < target) return
    checking = true
    try {
      const rows = await warehouse.query<{ c: string }>('SELECT count() AS c FROM events')
      const count = Number(rows[0]?.c ?? 0)
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

  // BENCH_WRITER=0 (--receiver-only): isolates the receiver from the writer's CPU use.
  const writer =
    process.env.BENCH_WRITER === '0'
      ? undefined
      : startWriter({
          stream,
          warehouse,
          dedup: memoryDedup(),
          counters,
          topic,
          group: 'writer',
          onLoaded: ({ inserted }) => {
            loaded += inserted
            void check()
          },
          log: (level, msg, fields) => {
            if (level !== 'info') send({ type: 'error', message: `${msg} ${JSON.stringify(fields ?? {})}` })
          },
        })
  const app = createApp({
    stream,
    topic,
    counters,
    signingKeys: { [process.env.BENCH_KEY_ID!]: process.env.BENCH_SECRET! },
  })
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }) as Server
  const port = await listening(server)
  return {
    port,
    timing,
    watch(t) {
      target = t
      void check()
    },
    async stop() {
      await closeServer(server)
      await writer?.stop()
      await stream.close()
      await warehouse.close()
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
      ? { ...(await startBaseline()), watch: undefined, timing: undefined }
      : await startSightline()
  send({ type: 'ready', port: srv.port, startupMs: Math.round(performance.now() - started) })
  const cpuAtReady = process.cpuUsage()
  process.on('message', async (msg: ToChild) => {
    if (msg.type === 'watch') {
      if (srv.watch) srv.watch(msg.target)
      else send({ type: 'loaded', at: epochNow(), count: msg.target })
    } else if (msg.type === 'stop') {
      const report = stoppedReport(cpuAtReady, srv.timing)
      await srv.stop()
      send(report)
      process.disconnect()
    }
  })
}

main().catch((err) => {
  send({ type: 'error', message: String(err?.stack ?? err) })
  process.exitCode = 1
  process.disconnect?.()
})
