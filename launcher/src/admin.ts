// `npm run admin -- <group> <command>`: sites, settings, keys, goals and saved queries
// through the admin API (admin-client.ts decides how to reach it), and `kv sync` for a
// Cloudflare edge's SITES_KV.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { type Goal, type SavedQuery, type Site, WRITE_KEY_PREFIX } from '@sightline/metadata'
import { type AdminClient, openAdminClient } from './admin-client.ts'
import { HELP, usage } from './admin-help.ts'
import { applyKv, type KvTarget, listKvKeys } from './admin-kv.ts'
import { kvEntriesFor, kvPlan } from './admin-state.ts'
import { dataLayout, loadOrCreateState } from './workspace.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'data-dir': { type: 'string' },
    'database-url': { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
    name: { type: 'string' },
    'time-zone': { type: 'string' },
    'retention-days': { type: 'string' },
    'events-per-minute': { type: 'string' },
    read: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    event: { type: 'string' },
    path: { type: 'string' },
    env: { type: 'string' },
    local: { type: 'boolean', default: false },
    'persist-to': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    out: { type: 'string' },
    wait: { type: 'boolean', default: false },
  },
})

const out = (line: string) => process.stdout.write(`${line}\n`)
const die = (message: string): never => {
  process.stderr.write(`admin: ${message}\n`)
  process.exit(1)
}
const [group, command, ...args] = positionals
if (values.help || !group || !command) {
  if (values.help || group === 'help') {
    out(usage(group))
    process.exit(0)
  }
  die(group && HELP[group] ? usage(group) : usage())
}
const need = (i: number, what: string): string =>
  args[i] ?? die(`${group} ${command} needs ${what} (see "${group} --help")`)

const layout = dataLayout(values['data-dir'] ?? process.env.SIGHTLINE_DATA_DIR ?? '.sightline')
const { state } = loadOrCreateState(layout)
const client: AdminClient = await openAdminClient(layout, state, {
  ...(values['database-url'] ? { databaseUrl: values['database-url'] } : {}),
})

/** The admin API's answers, loosely: each command reads the fields its route returns. */
interface Answer {
  message?: string
  key?: string
  site?: Site
  read_keys?: SiteView['read_keys']
  sites?: SiteView[]
  value?: { goal_id?: number; query_id?: number; name?: string }
  goals?: Goal[]
  queries?: SavedQuery[]
  error?: { message?: string }
  person?: string
  ids?: string[]
  done?: boolean
  remaining?: Record<string, number>
  pending_mutations?: number
}

/** Calls the API; a refusal ends the command with its message and status 1. */
async function api(method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await client.call(method, path, body)
  const answer = res.body as Answer
  if (res.status >= 400) {
    await client.close()
    die(answer?.error?.message ?? `HTTP ${res.status}`)
  }
  return answer
}

function changed(answer: { message?: string }): void {
  if (values.json) {
    out(JSON.stringify(answer, null, 2))
    return
  }
  if (answer.message) out(answer.message)
  out(
    client.via.startsWith('the running hub')
      ? 'live now: the query service and the writer have it; the embedded edge within a second'
      : `saved in ${client.via}; the stack picks it up when it starts`,
  )
  out('a Cloudflare edge: "kv sync --env <env>" copies the sites to its SITES_KV')
}

type SiteView = { site: Site; read_keys: Array<{ key_id: string; revoked: boolean }> }
function describe(v: SiteView): string {
  const s = v.site
  const local = state.local_read_keys[s.site_id]
  const active = v.read_keys.filter((k) => !k.revoked).map((k) => k.key_id)
  return [
    `${s.site_id}\t${s.name}`,
    `  write keys       ${s.write_keys.join(', ')}${s.revoked_keys.length ? `   (revoked: ${s.revoked_keys.length})` : ''}`,
    `  read keys        ${active.length ? active.map((id) => `id ${id}`).join(', ') : 'none'}${local ? `   (this install's: ${local})` : ''}`,
    `  time_zone        ${s.time_zone}`,
    `  retention_days   ${s.retention_days}`,
    `  allowed_origins  ${s.allowed_origins.join(', ') || '(none: browsers refused)'}`,
    `  rate_limit       per_key_per_minute ${s.rate_limit.per_key_per_minute}, per_ip_per_minute ${s.rate_limit.per_ip_per_minute}`,
    `  keep_ip ${s.privacy.keep_ip}   cookieless ${s.privacy.cookieless}   block_bots ${s.block_bots}`,
    `  events_per_minute ${s.events_per_minute || 'unlimited'}`,
  ].join('\n')
}
const show = (answer: unknown, text: () => string) =>
  out(values.json ? JSON.stringify(answer, null, 2) : text())

async function kvSync(): Promise<void> {
  const target: KvTarget = {
    ...(values.env ? { env: values.env } : {}),
    local: values.local,
    ...(values.local ? { persistTo: values['persist-to'] ?? join(layout.root, 'wrangler-state') } : {}),
  }
  const { sites = [] } = await api('GET', '/admin/v1/sites')
  const wanted = kvEntriesFor(sites.map((v) => v.site))
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

const site = () => encodeURIComponent(need(0, 'a site id'))
switch (`${group} ${command}`) {
  case 'sites list': {
    const answer = await api('GET', '/admin/v1/sites')
    show(answer, () => (answer.sites ?? []).map(describe).join('\n\n'))
    break
  }
  case 'sites show':
  case 'keys list': {
    const answer = await api('GET', `/admin/v1/sites/${site()}`)
    show(answer, () => describe(answer as SiteView))
    break
  }
  case 'sites create':
  case 'sites add':
    changed(
      await api('POST', '/admin/v1/sites', {
        site_id: need(0, 'a site id'),
        ...(values.name ? { name: values.name } : {}),
        ...(values['time-zone'] ? { time_zone: values['time-zone'] } : {}),
        ...(values['retention-days'] ? { retention_days: Number(values['retention-days']) } : {}),
        ...(values['events-per-minute'] ? { events_per_minute: Number(values['events-per-minute']) } : {}),
      }),
    )
    break
  case 'sites set':
    changed(
      await api('PATCH', `/admin/v1/sites/${site()}`, {
        setting: need(1, 'a setting'),
        value: need(2, 'a value'),
      }),
    )
    break
  case 'sites retention':
    changed(
      await api('PATCH', `/admin/v1/sites/${site()}`, { setting: 'retention_days', value: need(1, 'days') }),
    )
    break
  case 'keys create':
    if (values.read === values.write) die('keys create needs exactly one of --read and --write')
    changed(await api('POST', `/admin/v1/sites/${site()}/keys`, { kind: values.read ? 'read' : 'write' }))
    break
  case 'keys rotate':
    changed(
      await api('POST', `/admin/v1/sites/${site()}/keys`, {
        kind: values.read ? 'read' : 'write',
        rotate: true,
      }),
    )
    break
  case 'keys revoke':
    changed(await api('POST', '/admin/v1/keys/revoke', { key: need(0, 'a key') }))
    break
  case 'goals list': {
    const answer = await api('GET', `/admin/v1/sites/${site()}/goals`)
    show(answer, () =>
      (
        answer.goals as Array<{
          goal_id: number
          name: string
          event_name: string | null
          page_path: string | null
        }>
      )
        .map(
          (g) => `${g.goal_id}\t${g.name}\t${g.event_name ? `event ${g.event_name}` : `page ${g.page_path}`}`,
        )
        .join('\n'),
    )
    break
  }
  case 'goals create': {
    if (!values.event === !values.path) die('goals create needs exactly one of --event and --path')
    const answer = await api('POST', `/admin/v1/sites/${site()}/goals`, {
      name: need(1, 'a goal name'),
      ...(values.event ? { event_name: values.event } : { page_path: values.path }),
    })
    changed({ ...answer, message: `goal ${answer.value?.goal_id} "${answer.value?.name}" created` })
    break
  }
  case 'goals delete':
    changed({
      ...(await api('DELETE', `/admin/v1/sites/${site()}/goals/${need(1, 'a goal id')}`)),
      message: 'goal deleted',
    })
    break
  case 'queries list': {
    const answer = await api('GET', `/admin/v1/sites/${site()}/queries`)
    show(answer, () =>
      (answer.queries ?? []).map((q) => `${q.query_id}\t${q.name}\t${JSON.stringify(q.spec)}`).join('\n'),
    )
    break
  }
  case 'queries save': {
    let spec: unknown
    try {
      spec = JSON.parse(need(2, 'a spec (JSON)'))
    } catch {
      die('the spec must be JSON, e.g. \'{"kind":"trends","interval":"day"}\'')
    }
    const answer = await api('POST', `/admin/v1/sites/${site()}/queries`, { name: need(1, 'a name'), spec })
    changed({ ...answer, message: `query ${answer.value?.query_id} "${answer.value?.name}" saved` })
    break
  }
  case 'queries delete':
    changed({
      ...(await api('DELETE', `/admin/v1/sites/${site()}/queries/${need(1, 'a query id')}`)),
      message: 'query deleted',
    })
    break
  case 'persons export': {
    const path = `/admin/v1/sites/${site()}/persons/${encodeURIComponent(need(1, 'a person id'))}/export`
    const res = await client.call('GET', path)
    if (res.status >= 400) {
      await client.close()
      die((res.body as Answer)?.error?.message ?? `HTTP ${res.status}`)
    }
    const text = String(res.body)
    if (values.out) {
      // A person's data: readable by this user only, like the rest of the data directory.
      writeFileSync(values.out, text, { mode: 0o600 })
      out(`${text.split('\n').length - 2} rows written to ${values.out}`)
    } else process.stdout.write(text)
    break
  }
  case 'persons delete': {
    let answer = await api(
      'DELETE',
      `/admin/v1/sites/${site()}/persons/${encodeURIComponent(need(1, 'a person id'))}`,
    )
    const ids = answer.ids ?? []
    const line = (a: Answer) =>
      `${a.done ? 'deleted' : 'deleting'}: rows left ${Object.entries(a.remaining ?? {})
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')}; mutations running ${a.pending_mutations}`
    if (!values.json) out(`person ${answer.person} (ids: ${ids.join(', ')})`)
    show(answer, () => line(answer))
    const started = Date.now()
    while (values.wait && !answer.done && Date.now() - started < 10 * 60_000) {
      await new Promise((resolve) => setTimeout(resolve, 1000))
      answer = await api(
        'GET',
        `/admin/v1/sites/${site()}/persons-deletion?${ids.map((id) => `id=${encodeURIComponent(id)}`).join('&')}`,
      )
      show(answer, () => line(answer))
    }
    if (!answer.done && !values.wait)
      out(`follow it with: npm run admin -- persons deletion ${need(0, 'a site id')} ${ids.join(' ')}`)
    break
  }
  case 'persons deletion': {
    const ids = args.slice(1)
    if (ids.length === 0) die('persons deletion needs a site and the ids "persons delete" printed')
    const answer = await api(
      'GET',
      `/admin/v1/sites/${site()}/persons-deletion?${ids.map((id) => `id=${encodeURIComponent(id)}`).join('&')}`,
    )
    show(
      answer,
      () =>
        `${answer.done ? 'done' : 'running'}: rows left ${Object.entries(answer.remaining ?? {})
          .map(([t, n]) => `${t} ${n}`)
          .join(', ')}; mutations running ${answer.pending_mutations}`,
    )
    break
  }
  case 'kv sync':
    await kvSync().catch(async (err: Error) => {
      await client.close()
      die(err.message)
    })
    break
  default:
    await client.close()
    die(`unknown command "${group} ${command}"\n\n${usage(group && HELP[group] ? group : undefined)}`)
}
await client.close()
