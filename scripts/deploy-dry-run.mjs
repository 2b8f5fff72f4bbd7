#!/usr/bin/env node
// CI: `wrangler deploy --dry-run` of the edge worker for the default config and every
// environment, printing the bundle size (total / gzip) of each. Fails if any bundle fails.
// Runs under the workspace's Node 24 (wrangler 4 needs ≥ 22): node scripts/run.mjs exec node scripts/deploy-dry-run.mjs
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const edge = join(root, 'edge-worker')
const wrangler = join(edge, 'node_modules', 'wrangler', 'bin', 'wrangler.js')
const envs = process.argv.slice(2).length ? process.argv.slice(2) : ['', 'dev', 'staging', 'production']

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : [path]
  })
}

const kib = (n) => `${(n / 1024).toFixed(2)} KiB`
let failed = false
for (const env of envs) {
  const outdir = join(tmpdir(), `sightline-edge-dist-${env || 'default'}`)
  rmSync(outdir, { recursive: true, force: true })
  const args = [wrangler, 'deploy', '--dry-run', '--outdir', outdir, ...(env ? ['--env', env] : [])]
  const run = spawnSync(process.execPath, args, {
    cwd: edge,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
  })
  const label = env || 'default'
  if (run.status !== 0) {
    failed = true
    process.stdout.write(`${label}: dry-run FAILED\n${run.stdout}\n${run.stderr}\n`)
    continue
  }
  // Measured ourselves (not parsed from wrangler's output) so the numbers survive its wording.
  const bundle = files(outdir).filter((f) => !/\.(map|md)$/.test(f))
  const total = bundle.reduce((sum, f) => sum + statSync(f).size, 0)
  const gzip = bundle.reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0)
  process.stdout.write(`${label}: ok, bundle ${kib(total)} / gzip ${kib(gzip)} (${bundle.length} file(s))\n`)
}
process.exit(failed ? 1 : 0)
