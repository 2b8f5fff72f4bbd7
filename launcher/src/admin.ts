// `npm run admin -- <command>`: sites and write keys in the install state (sightline.json, the
// source of truth), and `kv sync` to make the edge's SITES_KV match it.
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  addSite,
  type Change,
  revokeKey,
  rotateKeys,
  setRetention,
  WRITE_KEY_PREFIX,
} from '@sightline/metadata'
import { applyKv, type KvTarget, listKvKeys } from './admin-kv.ts'
import { kvEntriesFor, kvPlan } from './admin-state.ts'
import { dataLayout, loadOrCreateState, token } from './workspace.ts'

const USAGE = `usage: admin [--data-dir <dir>] <command>
  sites list
  sites add <site_id> [--name <name>]
  keys revoke <write_key>
  keys rotate <site_id>
  sites retention <site_id> <days>
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
const { sites } = loadOrCreateState(layout)
const [group, command, arg, value] = positionals
const out = (line: string) => process.stdout.write(`${line}\n`)
const die = (message: string): never => {
  process.stderr.write(`admin: ${message}\n`)
  process.exit(1)
}

/** The store has written the change (sightline.json, 0600) by the time it answers. */
function report(change: Change): void {
  if (!change.ok) die(change.message)
  else {
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
  const wanted = kvEntriesFor(await sites.list())
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
    for (const s of await sites.list()) {
      out(
        `${s.site_id}\t${s.name}\twrite: ${s.write_keys.join(',')}\tread: ${s.read_keys.join(',')}\tretention: ${s.retention_days} d`,
      )
      if (s.revoked_keys.length) out(`\trevoked: ${s.revoked_keys.length} key(s)`)
    }
    break
  case 'sites add':
    report(await addSite(sites, arg ?? die('sites add needs a site id'), values.name ?? arg!, token))
    break
  case 'sites retention':
    report(await setRetention(sites, arg ?? die('sites retention needs a site id'), Number(value)))
    break
  case 'keys revoke':
    report(await revokeKey(sites, arg ?? die('keys revoke needs a write key')))
    break
  case 'keys rotate':
    report(await rotateKeys(sites, arg ?? die('keys rotate needs a site id'), token))
    break
  case 'kv sync':
    await kvSync().catch((err: Error) => die(err.message))
    break
  default:
    die(USAGE)
}
