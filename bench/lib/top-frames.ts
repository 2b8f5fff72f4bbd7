// Summarise V8 .cpuprofile files (from `--cpu-prof`): self time by function and by package.
// Usage: tsx bench/lib/top-frames.ts <file.cpuprofile>… [--top 25]
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
})
const top = Number(values.top)

/** The repository root, wherever it is checked out (this file is bench/lib/top-frames.ts). */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

function where(url: string): string {
  if (url === '') return '(native/V8)'
  const pnpm = url.match(/node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/)
  if (pnpm) return pnpm[1]!
  // This checkout's own code, by package folder (`query-service`, `packages/state`, …).
  const path = url.replace(/^file:\/\//, '')
  if (path.startsWith(REPO_ROOT)) {
    const own = path.slice(REPO_ROOT.length).match(/^([^/]+(?:\/[^/]+)?)\/src\//)
    if (own) return own[1]!
  }
  if (url.startsWith('node:')) return 'node:internal'
  return url
    .replace(/^file:\/\//, '')
    .split('/')
    .slice(-2)
    .join('/')
}

const byFn = new Map<string, number>()
const byPkg = new Map<string, number>()
let total = 0
for (const file of positionals) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const nodes = new Map(p.nodes.map((n) => [n.id, n]))
  p.samples.forEach((id, i) => {
    const n = nodes.get(id)
    if (!n) return
    const us = p.timeDeltas[i] ?? 0
    const f = n.callFrame
    const fn = `${f.functionName || '(anonymous)'}  ${where(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`
    byFn.set(fn, (byFn.get(fn) ?? 0) + us)
    byPkg.set(where(f.url), (byPkg.get(where(f.url)) ?? 0) + us)
    total += us
  })
}

const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title} (of ${(total / 1e6).toFixed(1)} s sampled)`)
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1e3).toFixed(0).padStart(6)} ms  ${k}`,
    )
  }
}
show('self time by package', byPkg)
show('self time by function', byFn)
