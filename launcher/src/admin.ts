// `npm run admin -- <command>`: sites and write keys in the install state (sightline.json, the
// source of truth), and `kv sync` to make the edge's SITES_KV match it.
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { WRITE_KEY_PREFIX } from '../../edge-worker/src/sites-kv-format.ts'
import { applyKv, type KvTarget, listKvKeys } from './admin-kv.ts'
import { addSite, type Change, kvEntriesFor, kvPlan, revokeKey, rotateKeys } from './admin-state.ts'
import { dataLayout, loadOrCreateState, writeJsonAtomic } from './workspace.ts'

const USAGE = `usage: admin [--data-dir <dir>] <command>
  sites list
  sites add <site_id> [--name <name>]
  keys revoke <write_key>
  keys rotate <site_id>
  kv sync [--env dev|staging|production] [--local [--persist-to <dir>]] [--dry-run]`

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'data-dir': { type: 'string' },
    name: { type: 'string' },
    env: { type: 'string' },
    local: { type: 'boolean', default: false },
    'persist-to': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
})

const layout = dataLayout(values['data-dir'] ?? process.env.SIGHTLINE_DATA_DIR ?? '.sightline')
const { state } = loadOrCreateState(layout)
const [group, command, arg] = positionals
const out = (line: string) => process.stdout.write(`${line}\n`)
const die = (message: string): never => {
  process.stderr.write(`admin: ${message}\n`)
  process.exit(1)
}

function save(change: Change): void {
  if (!change.ok) die(change.message)
  else {
    writeJsonAtomic(layout.state, change.state, 0o600)
    out(change.message)
    out('apply it: "kv sync --env <env>" for Cloudflare; the embedded edge reads it on its next start')
  }
}

async function kvSync(): Promise<void> {
  const target: KvTarget = {
    ...(values.env ? { env: values.env } : {}),
    local: values.local,
    // Local default: the embedded edge's wrangler state (launcher/src/processes.ts).
    ...(values.local ? { persistTo: values['persist-to'] ?? join(layout.root, 'wrangler-state') } : {}),
  }
  const wanted = kvEntriesFor(state)
  const existing = await listKvKeys(target, WRITE_KEY_PREFIX)
  const plan = kvPlan(wanted, existing, WRITE_KEY_PREFIX)
  const where = `${target.local ? `local (${target.persistTo})` : 'Cloudflare'} ${target.env ?? 'default'} SITES_KV`
  if (values['dry-run']) {
    out(`${where}: would put ${plan.put.length} entries, delete ${plan.remove.length}`)
    return
  }
  await applyKv(target, plan.put, plan.remove)
  out(`${where}: put ${plan.put.length} entries, deleted ${plan.remove.length}`)
}

switch (`${group ?? ''} ${command ?? ''}`) {
  case 'sites list':
    for (const s of state.sites) {
      out(`${s.site_id}\t${s.name}\twrite: ${s.write_keys.join(',')}\tread: ${s.read_keys.join(',')}`)
      if (s.revoked_keys.length) out(`\trevoked: ${s.revoked_keys.length} key(s)`)
    }
    break
  case 'sites add':
    save(addSite(state, arg ?? die('sites add needs a site id'), values.name))
    break
  case 'keys revoke':
    save(revokeKey(state, arg ?? die('keys revoke needs a write key')))
    break
  case 'keys rotate':
    save(rotateKeys(state, arg ?? die('keys rotate needs a site id')))
    break
  case 'kv sync':
    await kvSync().catch((err: Error) => die(err.message))
    break
  default:
    die(USAGE)
}
