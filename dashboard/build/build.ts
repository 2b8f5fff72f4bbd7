// Builds the dashboard's static files with esbuild: ES modules, minified, content-hashed
// names, the views past the first one split into their own chunks. Runs when `npm start`
// starts (ADR 0024): a build takes well under a second, and it is skipped when nothing it
// reads has changed since the last one (a stamp of the sources' hash in the output).
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { build } from 'esbuild'

const packageDir = join(import.meta.dirname, '..')
const repoRoot = join(packageDir, '..')
/** Where `npm start` builds to (git-ignored). */
export const DEFAULT_OUT_DIR = join(packageDir, 'dist')
const STAMP = '.build-stamp'

export interface BuildResult {
  dir: string
  /** false when the stamp matched and the previous build was kept. */
  built: boolean
  ms: number
  /** The entry script and the files index.html loads before anything renders. */
  firstView: string[]
}

/** Everything that decides the output: sources, this file, the lockfile (library versions). */
function sourceHash(): string {
  const hash = createHash('sha256')
  const files = [
    ...walk(join(packageDir, 'src')),
    join(packageDir, 'build', 'build.ts'),
    ...walk(join(repoRoot, 'packages', 'live-client', 'src')),
    // The contracts' local calendar (ranges.ts imports it); all their sources, so a later import counts too.
    ...walk(join(repoRoot, 'packages', 'contracts', 'src')),
    join(repoRoot, 'pnpm-lock.yaml'),
  ]
  for (const file of files.sort()) {
    hash.update(relative(repoRoot, file))
    hash.update(readFileSync(file))
  }
  return hash.digest('hex')
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [] : [join(dir, e.name)],
  )
}

/** Builds into outDir unless its stamp says it is current. Concurrent callers are safe. */
export async function ensureDashboard(outDir = DEFAULT_OUT_DIR): Promise<BuildResult> {
  const started = performance.now()
  const stamp = sourceHash()
  const stampFile = join(outDir, STAMP)
  if (existsSync(stampFile)) {
    const previous = JSON.parse(readFileSync(stampFile, 'utf8')) as { stamp: string; firstView: string[] }
    if (previous.stamp === stamp) {
      return { dir: outDir, built: false, ms: performance.now() - started, firstView: previous.firstView }
    }
  }
  // Built beside the target and swapped in whole: a server never reads a half-written build.
  const staging = `${outDir}.tmp-${process.pid}-${Date.now()}`
  const firstView = await buildInto(staging)
  writeFileSync(join(staging, STAMP), JSON.stringify({ stamp, firstView }))
  const old = `${outDir}.old-${process.pid}-${Date.now()}`
  if (existsSync(outDir)) renameSync(outDir, old)
  mkdirSync(dirname(outDir), { recursive: true })
  renameSync(staging, outDir)
  rmSync(old, { recursive: true, force: true })
  return { dir: outDir, built: true, ms: performance.now() - started, firstView }
}

/** One build into dir; returns the files the first view needs (relative to dir). */
export async function buildInto(dir: string): Promise<string[]> {
  const result = await build({
    entryPoints: { main: join(packageDir, 'src', 'main.tsx') },
    outdir: join(dir, 'assets'),
    bundle: true,
    splitting: true,
    format: 'esm',
    minify: true,
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    metafile: true,
    write: true,
    logLevel: 'silent',
    legalComments: 'none',
  })
  const outputs = result.metafile.outputs
  const entry = Object.entries(outputs).find(([, o]) => o.entryPoint !== undefined)
  if (!entry) throw new Error('the dashboard build produced no entry script')
  const [entryPath, entryOut] = entry
  const rel = (p: string) => relative(dir, join(process.cwd(), p)).split('\\').join('/')
  const js = rel(entryPath)
  // The static imports of the entry load before it runs: they are part of the first view.
  const preloads = entryOut.imports.filter((i) => i.kind === 'import-statement').map((i) => rel(i.path))
  const css = entryOut.cssBundle ? rel(entryOut.cssBundle) : undefined
  writeFileSync(join(dir, 'index.html'), indexHtml(js, preloads, css))
  return ['index.html', js, ...preloads, ...(css ? [css] : [])]
}

function indexHtml(js: string, preloads: string[], css: string | undefined): string {
  // Relative URLs: the page works wherever the service mounts it.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>Sightline</title>
<link rel="icon" href="data:,">
${css ? `<link rel="stylesheet" href="${css}">\n` : ''}${preloads.map((p) => `<link rel="modulepreload" href="${p}">\n`).join('')}<script type="module" src="${js}"></script>
</head>
<body>
<div id="app"><p class="boot">Loading Sightline…</p></div>
<noscript>The Sightline dashboard needs JavaScript. The API works without it: see docs/api.md.</noscript>
</body>
</html>
`
}
