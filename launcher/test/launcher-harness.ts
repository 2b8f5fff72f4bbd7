import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Endpoints } from '../src/banner.ts'
import { freePort, isPortFree } from '../src/ports.ts'

const startScript = join(import.meta.dirname, '..', 'src', 'start.ts')

export interface RunningSightline {
  child: ChildProcess
  endpoints: Endpoints & { pids: { launcher: number; hub: number; edge: number } }
  output: () => string
  stop(): Promise<number | null>
}

export async function launcherPorts() {
  return { edge: await freePort(), bridge: await freePort(), query: await freePort() }
}

/** The first of `n` free ports in a row: a local cluster's bridges listen on `--bridge-port` + i. */
export async function freePortRun(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await freePort()
    if (first + n - 1 > 65535) continue
    let free = true
    for (let i = 1; i < n && free; i++) free = await isPortFree(first + i, '127.0.0.1')
    if (free) return first
  }
  throw new Error(`no ${n} free ports in a row after 50 tries`)
}

/**
 * `npm start`'s launcher as a real process (Node 24 + tsx), on private ports and data dir;
 * the tests and the benchmarks that drive a whole stack start it here.
 */
export async function startSightline(
  dataDir: string,
  ports: { edge: number; bridge: number; query: number },
  options: { timeoutMs?: number; args?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<RunningSightline> {
  const timeoutMs = options.timeoutMs ?? 180_000
  const endpointsFile = join(dataDir, 'endpoints.json')
  rmSync(endpointsFile, { force: true })
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      startScript,
      '--data-dir',
      dataDir,
      '--edge-port',
      String(ports.edge),
      '--bridge-port',
      String(ports.bridge),
      '--query-port',
      String(ports.query),
      ...(options.args ?? []),
    ],
    {
      cwd: join(import.meta.dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
      // No generated demo site unless a test asks for one (its own numbers are what most check).
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', SIGHTLINE_DEMO: 'off', ...options.env },
    },
  )
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const deadline = Date.now() + timeoutMs
  while (!output.includes('Sightline is running')) {
    if (child.exitCode !== null) throw new Error(`launcher exited early:\n${output}`)
    if (Date.now() > deadline) {
      child.kill('SIGTERM')
      throw new Error(`launcher not ready in ${timeoutMs} ms:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  if (!existsSync(endpointsFile)) throw new Error('endpoints.json was not written')
  const endpoints = JSON.parse(readFileSync(endpointsFile, 'utf8'))
  return {
    child,
    endpoints,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT')
      return exited
    },
  }
}

export async function postBatch(edge: string, writeKey: string, body: unknown): Promise<Response> {
  return fetch(`${edge}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${btoa(`${writeKey}:`)}` },
    body: JSON.stringify(body),
  })
}

export async function stats(
  e: RunningSightline['endpoints'],
): Promise<{ events: number; pageviews: number; visitors: number }> {
  const site = e.sites[0]!
  const res = await fetch(
    `${e.query}/v1/sites/${site.site_id}/stats?include_bots=true&from=2000-01-01T00:00:00Z`,
    {
      headers: { authorization: `Bearer ${site.read_key}` },
    },
  )
  if (!res.ok) throw new Error(`stats ${res.status}: ${await res.text()}`)
  return (await res.json()) as { events: number; pageviews: number; visitors: number }
}

/** Sends batches with bounded concurrency; returns each batch's HTTP status (0 = network error). */
export async function sendAll(
  edge: string,
  writeKey: string,
  batches: unknown[],
  concurrency = 8,
): Promise<number[]> {
  const statuses = new Array<number>(batches.length).fill(0)
  let next = 0
  async function worker() {
    while (next < batches.length) {
      const i = next++
      try {
        const res = await postBatch(edge, writeKey, batches[i])
        statuses[i] = res.status
        await res.arrayBuffer()
      } catch {
        statuses[i] = 0
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return statuses
}
