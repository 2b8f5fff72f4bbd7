import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { KvEntry } from '@sightline/metadata'
import { repoRoot } from './processes.ts'

/** Which SITES_KV: an environment of wrangler.jsonc, remote (Cloudflare) or local persistence. */
export interface KvTarget {
  env?: string
  local: boolean
  /** With `local`: wrangler's state directory (the embedded edge's is `<data dir>/wrangler-state`). */
  persistTo?: string
}

const edgeDir = join(repoRoot, 'edge-worker')
const wranglerJs = join(edgeDir, 'node_modules', 'wrangler', 'bin', 'wrangler.js')

function targetArgs(target: KvTarget): string[] {
  const args = ['--binding', 'SITES_KV', '--config', join(edgeDir, 'wrangler.jsonc')]
  if (target.env) args.push('--env', target.env)
  if (target.local) {
    args.push('--local')
    if (target.persistTo) args.push('--persist-to', target.persistTo)
  } else args.push('--remote')
  return args
}

function wrangler(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wranglerJs, ...args], {
      cwd: edgeDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.once('error', reject)
    child.once('exit', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`wrangler ${args.slice(0, 3).join(' ')} failed (${code}):\n${err || out}`)),
    )
  })
}

export async function listKvKeys(target: KvTarget, prefix: string): Promise<string[]> {
  const out = await wrangler(['kv', 'key', 'list', '--prefix', prefix, ...targetArgs(target)])
  // The JSON array is the output; anything before it (a banner) is skipped.
  const json = out.slice(out.indexOf('['))
  return (JSON.parse(json) as Array<{ name: string }>).map((k) => k.name)
}

/** Bulk files, because a key per process would take minutes for a few hundred sites. */
export async function applyKv(
  target: KvTarget,
  put: readonly KvEntry[],
  remove: readonly string[],
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-kv-'))
  try {
    if (put.length > 0) {
      const file = join(dir, 'put.json')
      writeFileSync(file, JSON.stringify(put), { mode: 0o600 })
      await wrangler(['kv', 'bulk', 'put', file, ...targetArgs(target)])
    }
    if (remove.length > 0) {
      const file = join(dir, 'delete.json')
      writeFileSync(file, JSON.stringify(remove))
      await wrangler(['kv', 'bulk', 'delete', file, '--force', ...targetArgs(target)])
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
