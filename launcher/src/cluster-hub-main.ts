// Process entry of the cluster-mode writer host (spawned by cluster.ts, config as one JSON argument).
import { startClusterHub } from './cluster-hub.ts'

const hub = await startClusterHub(JSON.parse(process.argv[2] ?? '{}'))
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid, query: hub.url })}\n`)

const parent = process.ppid
let stopping = false
async function shutdown(code: number): Promise<void> {
  if (stopping) return
  stopping = true
  await hub.stop()
  process.exit(code)
}
process.on('SIGINT', () => void shutdown(0))
process.on('SIGTERM', () => void shutdown(0))
// If the launcher dies without telling us (kill -9), do not linger holding ports and data.
setInterval(() => {
  if (process.ppid !== parent) void shutdown(1)
}, 1000).unref()
