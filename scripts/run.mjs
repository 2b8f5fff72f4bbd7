#!/usr/bin/env node
// The entry point of `npm start` and `npm test`. It runs on whatever Node the machine has
// (20 is enough): it installs the workspace with pnpm when the lockfile or a manifest
// changed since the last install, then hands over to the pinned Node 24 that the
// workspace itself installs (the `node` npm package), so nothing else is needed.
// Plain JS on purpose: it must run before TypeScript tooling exists.
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const PNPM = 'pnpm@10.34.9'
const stampFile = join(root, 'node_modules', '.sightline-install.json')
const bin = join(root, 'node_modules', '.bin')

function manifests() {
  const files = ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml']
  const workspaces = ['edge-worker', 'ingest-bridge', 'query-service', 'launcher', 'bench']
  for (const dir of readdirSync(join(root, 'packages'))) workspaces.push(join('packages', dir))
  for (const dir of workspaces) {
    if (existsSync(join(root, dir, 'package.json'))) files.push(join(dir, 'package.json'))
  }
  return files
}

function installStamp() {
  const hash = createHash('sha256')
  for (const file of manifests()) {
    hash.update(file)
    hash.update(existsSync(join(root, file)) ? readFileSync(join(root, file)) : '')
  }
  return hash.digest('hex')
}

function ensureInstalled() {
  const stamp = installStamp()
  const node24 = join(bin, 'node')
  if (existsSync(stampFile) && existsSync(node24)) {
    const previous = JSON.parse(readFileSync(stampFile, 'utf8'))
    if (previous.stamp === stamp) return
  }
  log('installing the workspace (pnpm, pinned lockfile)…')
  const args = ['--yes', PNPM, 'install', '--frozen-lockfile']
  const result = spawnSync('npx', args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, CI: process.env.CI ?? '' },
  })
  if (result.status !== 0) {
    log('pnpm install failed; see the output above')
    process.exit(result.status ?? 1)
  }
  if (!existsSync(node24)) {
    log('the pinned Node 24 (npm package "node") did not install; see the output above')
    process.exit(1)
  }
  writeFileSync(stampFile, JSON.stringify({ stamp, at: new Date().toISOString() }))
}

function log(message) {
  process.stderr.write(`[sightline] ${message}\n`)
}

/** Runs a workspace binary under Node 24 (its shim picks node_modules/.bin/node). */
function run(command, args, extraEnv = {}) {
  return new Promise((resolve) => {
    const child = spawn(join(bin, command), args, {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        WRANGLER_SEND_METRICS: 'false',
        ...extraEnv,
      },
    })
    // Ctrl-C reaches the child through the terminal's process group; we only wait for it.
    const ignore = () => {}
    process.on('SIGINT', ignore)
    process.on('SIGTERM', () => child.kill('SIGTERM'))
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore)
      resolve(code ?? (signal ? 1 : 0))
    })
  })
}

/** One plain closing line ('N passed, N failed, N skipped') that any CI can read. */
function printSummary(reportPath, code) {
  if (!existsSync(reportPath)) {
    log(`no test report was written (vitest exit ${code})`)
    return
  }
  const r = JSON.parse(readFileSync(reportPath, 'utf8'))
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
  process.stdout.write(
    `\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped\n`,
  )
}

async function main() {
  const [task, ...rest] = process.argv.slice(2)
  ensureInstalled()
  if (task === 'start') {
    process.exit(await run('tsx', ['launcher/src/start.ts', ...rest]))
  }
  if (task === 'test') {
    const steps = [
      ['typecheck', 'tsc', ['-p', 'tsconfig.json']],
      ['typecheck edge', 'tsc', ['-p', 'edge-worker/tsconfig.json']],
      ['typecheck edge (node side)', 'tsc', ['-p', 'edge-worker/tsconfig.node.json']],
      ['typecheck edge benchmark', 'tsc', ['-p', 'edge-worker/tsconfig.bench.json']],
      ['lint', 'biome', ['ci', '--colors=off', '.']],
    ]
    for (const [name, command, args] of steps) {
      log(`${name}…`)
      const code = await run(command, args)
      if (code !== 0) {
        log(`${name} failed`)
        process.exit(code)
      }
    }
    // Proves `wrangler deploy` would accept every environment, and reports the bundle size.
    log('wrangler deploy --dry-run…')
    const dryRun = await run('node', ['scripts/deploy-dry-run.mjs'])
    if (dryRun !== 0) {
      log('wrangler deploy --dry-run failed')
      process.exit(dryRun)
    }
    log('tests…')
    const report = join(root, '.tmp', 'vitest-report.json')
    const code = await run('vitest', [
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...rest,
    ])
    printSummary(report, code)
    process.exit(code)
  }
  if (task === 'exec') {
    const [command, ...args] = rest
    process.exit(await run(command, args))
  }
  log(`unknown task "${task}" (use start, test or exec)`)
  process.exit(2)
}

main()
