// The embedded edge as it runs self-hosted: the Worker bundled exactly as `wrangler deploy`
// bundles it, served by the `workerd` binary from the `workerd` npm package with a generated
// config. No development proxy in front (wrangler dev's costs a second workerd hop per
// request; docs/adr/0017-embedded-edge-under-workerd-serve.md).
import { spawn } from 'node:child_process'
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { repoRoot, type Started, track } from './processes.ts'
import type { DataLayout } from './workspace.ts'

const edgeDir = join(repoRoot, 'edge-worker')
const wranglerJs = join(edgeDir, 'node_modules', 'wrangler', 'bin', 'wrangler.js')

/** The workerd binary the `workerd` npm package installed for this platform. */
export function workerdBinary(): string {
  const require = createRequire(join(edgeDir, 'package.json'))
  return (require('workerd') as { default?: string }).default ?? (require('workerd') as string)
}

/** `wrangler deploy --dry-run --outdir`: the same bundle a deploy uploads. */
export function bundleEdge(outdir: string): Promise<string> {
  rmSync(outdir, { recursive: true, force: true })
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [wranglerJs, 'deploy', '--dry-run', '--outdir', outdir, '--config', join(edgeDir, 'wrangler.jsonc')],
      {
        cwd: edgeDir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
      },
    )
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.once('error', reject)
    child.once('exit', (code) =>
      code === 0
        ? resolve(join(outdir, 'index.js'))
        : reject(new Error(`bundling the edge failed (${code}):\n${out}`)),
    )
  })
}

/** wrangler.jsonc's compatibility date (its comments stripped): deploys and this edge agree. */
export function compatibilityDate(): string {
  const text = readFileSync(join(edgeDir, 'wrangler.jsonc'), 'utf8')
  const match = /"compatibility_date"\s*:\s*"(\d{4}-\d{2}-\d{2})"/.exec(text)
  if (!match) throw new Error('edge-worker/wrangler.jsonc has no compatibility_date')
  return match[1]!
}

/**
 * The workerd config (Cap'n Proto text). Vars are embedded from files next to it, so no
 * value ever needs escaping; the rate limiter's Durable Object keeps its counts in memory
 * (as its class does anyway); outbound fetches may reach private and loopback addresses,
 * where the embedded bridge listens.
 */
export function workerdConfig(options: {
  bundle: string
  address: string
  vars: Record<string, string>
  compatibilityDate: string
}): string {
  const q = (s: string) => JSON.stringify(s)
  const bindings = [
    ...Object.keys(options.vars).map((name) => `(name = ${q(name)}, text = embed ${q(`vars/${name}`)})`),
    '(name = "RATE_LIMITER", durableObjectNamespace = (className = "RateLimiter"))',
  ]
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "edge", worker = .edge),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = ${q(options.address)}, http = (), service = "edge")],
);

const edge :Workerd.Worker = (
  modules = [(name = "index.js", esModule = embed ${q(options.bundle)})],
  compatibilityDate = ${q(options.compatibilityDate)},
  bindings = [
    ${bindings.join(',\n    ')},
  ],
  durableObjectNamespaces = [(className = "RateLimiter", uniqueKey = "sightline-edge-RateLimiter", enableSql = true)],
  durableObjectStorage = (inMemory = void),
  globalOutbound = "internet",
);
`
}

/** Bundles the edge, writes its config (0600: the vars hold the signing key) and serves it. */
export async function startWorkerdEdge(
  layout: DataLayout,
  options: { host: string; port: number; vars: Record<string, string> },
): Promise<Started> {
  const dir = join(layout.root, 'edge')
  await bundleEdge(join(dir, 'bundle'))
  mkdirSync(join(dir, 'vars'), { recursive: true, mode: 0o700 })
  for (const [name, value] of Object.entries(options.vars)) {
    writeFileSync(join(dir, 'vars', name), value, { mode: 0o600 })
  }
  const configPath = join(dir, 'workerd.capnp')
  writeFileSync(
    configPath,
    workerdConfig({
      // capnp resolves embeds relative to the config file (an absolute path is not a file path to it).
      bundle: 'bundle/index.js',
      address: `${options.host}:${options.port}`,
      vars: options.vars,
      compatibilityDate: compatibilityDate(),
    }),
    { mode: 0o600 },
  )
  const log = createWriteStream(join(layout.logs, 'edge.log'), { flags: 'a' })
  const child = spawn(workerdBinary(), ['serve', configPath, '--verbose'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  child.stdout!.pipe(log)
  child.stderr!.pipe(log)
  return track(child)
}
