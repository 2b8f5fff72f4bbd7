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

/**
 * The workspace's package folders, read from pnpm-workspace.yaml (the one list): plain
 * entries as they are, `dir/*` expanded to the folders under dir.
 */
function workspaceDirs() {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')
  const block = /^packages:\n((?:[ \t]+-.*\n?)+)/m.exec(yaml)
  if (!block) throw new Error('pnpm-workspace.yaml has no packages: list')
  const dirs = []
  for (const line of block[1].split('\n')) {
    const entry = line
      .replace(/^\s*-\s*/, '')
      .replace(/^['"]|['"]$/g, '')
      .trim()
    if (!entry) continue
    if (!entry.endsWith('/*')) {
      dirs.push(entry)
      continue
    }
    const parent = entry.slice(0, -2)
    if (!existsSync(join(root, parent))) continue
    for (const dir of readdirSync(join(root, parent), { withFileTypes: true })) {
      if (dir.isDirectory()) dirs.push(join(parent, dir.name))
    }
  }
  return dirs
}

function manifests() {
  const files = ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml']
  for (const dir of workspaceDirs()) {
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

function seconds(since) {
  return `${Math.round((Date.now() - since) / 1000)} s`
}

/** The vitest projects that drive a real Chromium; other runs need no browser. */
const BROWSER_PROJECTS = ['launcher', 'sdk-browser', 'dashboard']

function needsBrowser(args) {
  const projects = []
  for (const [i, arg] of args.entries()) {
    if (arg === '--project' && args[i + 1]) projects.push(args[i + 1])
    else if (arg.startsWith('--project=')) projects.push(arg.slice('--project='.length))
  }
  return projects.length === 0 || projects.some((p) => BROWSER_PROJECTS.includes(p))
}

/**
 * Browser tests drive Debian's Chromium (no browser downloads here). When it is missing the
 * test command installs it if it can (root with apt-get, as on CI), and otherwise stops with
 * one line saying what to install, instead of a handful of confusing test failures.
 */
function ensureChromium() {
  const path = process.env.SIGHTLINE_CHROMIUM ?? '/usr/bin/chromium'
  if (existsSync(path)) return
  const canInstall = process.getuid?.() === 0 && spawnSync('which', ['apt-get']).status === 0
  if (!canInstall) {
    log(
      `Chromium is missing at ${path}: install it (Debian: apt-get install chromium) or set SIGHTLINE_CHROMIUM`,
    )
    process.exit(1)
  }
  log('installing Chromium for the browser tests (Debian package "chromium")…')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  const install =
    update.status === 0
      ? spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env })
      : update
  if (install.status !== 0 || !existsSync(path)) {
    log(
      `Chromium could not be installed (apt-get exit ${install.status}); install the Debian package "chromium"`,
    )
    process.exit(1)
  }
}

function log(message) {
  process.stderr.write(`[sightline] ${message}\n`)
}

/**
 * Runs a workspace binary under Node 24 (its shim picks node_modules/.bin/node).
 * `forwardSignals`: pass SIGINT and SIGTERM sent to this process alone on to the child — a
 * container or service manager signals only the main process, not a terminal's group.
 */
function run(command, args, extraEnv = {}, { forwardSignals = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command.includes('/') ? command : join(bin, command), args, {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        WRANGLER_SEND_METRICS: 'false',
        ...extraEnv,
      },
    })
    // Ctrl-C reaches the child through the terminal's process group; by default we only wait
    // for it. Forwarded, the child sees a terminal's Ctrl-C twice: its shutdown is idempotent.
    const onInt = forwardSignals ? () => child.kill('SIGINT') : () => {}
    const onTerm = () => child.kill('SIGTERM')
    process.on('SIGINT', onInt)
    process.on('SIGTERM', onTerm)
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
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
    // The pinned Node itself with tsx as a loader: not the tsx CLI nor the .bin/node shell
    // shim, which do not pass signals on. One process, which handles them itself.
    const node = join(root, 'node_modules', 'node', 'bin', 'node')
    const args = ['--import', 'tsx', 'launcher/src/start.ts', ...rest]
    process.exit(await run(node, args, {}, { forwardSignals: true }))
  }
  if (task === 'test') {
    const started = Date.now()
    const steps = [
      // One build over every tsconfig the solution file lists (incremental: .tmp/tsc).
      ['typecheck', 'tsc', ['-b', 'tsconfig.all.json']],
      ['lint', 'biome', ['ci', '--colors=off', '.']],
      // Proves `wrangler deploy` would accept every environment, and reports the bundle size.
      ['wrangler deploy --dry-run', 'node', ['scripts/deploy-dry-run.mjs']],
    ]
    const total = steps.length + 1
    for (const [index, [name, command, args]] of steps.entries()) {
      const stepStarted = Date.now()
      log(`[${index + 1}/${total}] ${name}…`)
      const code = await run(command, args)
      if (code !== 0) {
        log(`${name} failed`)
        process.exit(code)
      }
      log(`[${index + 1}/${total}] ${name} ok (${seconds(stepStarted)})`)
    }
    if (needsBrowser(rest)) ensureChromium()
    log(`[${total}/${total}] tests (vitest; each file is reported as it finishes)…`)
    const report = join(root, '.tmp', 'vitest-report.json')
    const code = await run('vitest', [
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...rest,
    ])
    printSummary(report, code)
    log(`done in ${seconds(started)}`)
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
