import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { extname, join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { DashboardAssets, StaticAsset } from '../ports.ts'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
}
/** `main-3FJX2K7A.js`: esbuild's content hash in the name. */
const HASHED = /-[A-Z0-9]{8}\.[a-z]+$/

/**
 * Reads a built dashboard directory into memory, precompressing text. A missing or empty
 * directory is a value (`missing`, with what to do), never a failed start.
 */
export function loadDashboardDir(dir: string | undefined): DashboardAssets {
  if (dir === undefined) return { missing: 'This query service was started without a dashboard build.' }
  if (!existsSync(join(dir, 'index.html'))) {
    return { missing: `No dashboard build in ${dir}. npm start builds it; or run the dashboard build.` }
  }
  const files = new Map<string, StaticAsset>()
  for (const path of walk(dir)) {
    const name = relative(dir, path).split('\\').join('/')
    const body = new Uint8Array(readFileSync(path))
    const type = TYPES[extname(name)] ?? 'application/octet-stream'
    const text = type.startsWith('text/') || type.includes('json') || type.includes('svg')
    files.set(name, {
      body,
      ...(text ? { gzip: new Uint8Array(gzipSync(body, { level: 9 })) } : {}),
      type,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      immutable: HASHED.test(name),
    })
  }
  return { files }
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.')) return []
    const path = join(dir, entry.name)
    return entry.isDirectory() ? walk(path) : [path]
  })
}
