import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { eventually } from '@sightline/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { launcherPorts, postBatch, type RunningSightline, startSightline } from './launcher-harness.ts'

// Sites, keys and settings changed with `npm run admin` while `npm start` runs reach the
// query service, the writer and the edge (wrangler dev + workerd) without a restart.
const dataDir = mkdtempSync(join(tmpdir(), 'sightline-live-admin-'))
let running: RunningSightline | undefined
afterAll(async () => {
  await running?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

const run = promisify(execFile)
async function admin(...args: string[]): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'launcher/src/admin.ts', '--data-dir', dataDir, ...args],
    { cwd: join(import.meta.dirname, '..', '..'), encoding: 'utf8' },
  )
  return stdout
}

const page = (id: string) => ({
  batch: [{ type: 'page', message_id: id, anonymous_id: 'v1', context: { page: { path: '/' } } }],
})
/** curl's User-Agent: the edge's bot verdict says bot. */
function postAs(edge: string, writeKey: string, ua: string, body: unknown) {
  return fetch(`${edge}/v1/batch`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${btoa(`${writeKey}:`)}`,
      'user-agent': ua,
    },
    body: JSON.stringify(body),
  })
}
const statsOf = (query: string, site: string, readKey: string) =>
  fetch(`${query}/v1/sites/${site}/stats?include_bots=true&from=2000-01-01T00:00:00Z`, {
    headers: { authorization: `Bearer ${readKey}` },
  })
const within = 10_000

describe('live site changes while the embedded stack runs', () => {
  let site: { write_key: string; read_key: string }

  it('adds a site whose read key works on the query service and write key at the edge, at once', async () => {
    running = await startSightline(dataDir, await launcherPorts())
    const e = running.endpoints
    const created = JSON.parse(await admin('sites', 'create', 'live', '--json'))
    site = { write_key: created.site.write_keys[0], read_key: created.key }
    expect(site.read_key).toMatch(/^rk_/)
    // The query service knows the key as soon as the command returned.
    const res = await statsOf(e.query, 'live', site.read_key)
    expect(res.status).toBe(200)
    // A key of another site stays another site's.
    expect((await statsOf(e.query, 'live', e.sites[0]!.read_key!)).status).toBe(403)
    // The edge polls the hub's edge view (≤ 1 s).
    const sent = await eventually(
      async () => (await postBatch(e.edge, site.write_key, page('live-1'))).status,
      (s) => s === 200,
      within,
      200,
    )
    expect(sent).toBe(200)
    const stored = await eventually(
      async () =>
        ((await (await statsOf(e.query, 'live', site.read_key)).json()) as { events: number }).events,
      (n) => n === 1,
      within,
      200,
    )
    expect(stored).toBe(1)
    // Scripts see it too: endpoints.json follows the sites.
    const doc = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8'))
    expect(doc.sites.map((s: { site_id: string }) => s.site_id)).toEqual(['demo', 'live'])
  }, 240_000)

  it('applies a changed setting at the edge (block_bots)', async () => {
    const e = running!.endpoints
    expect((await postAs(e.edge, site.write_key, 'curl/8.5.0', page('bot-1'))).status).toBe(200)
    expect(await admin('sites', 'set', 'live', 'block_bots', 'on')).toMatch(/block_bots = true\nlive now/)
    const refused = await eventually(
      async () => {
        const res = await postAs(e.edge, site.write_key, 'curl/8.5.0', page(`bot-${Math.random()}`))
        return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code }
      },
      (r) => r.status === 403,
      within,
      200,
    )
    expect(refused).toEqual({ status: 403, code: 'bot_blocked' })
  }, 60_000)

  it('refuses revoked keys: a read key at once, a write key at the edge within a second or so', async () => {
    const e = running!.endpoints
    await admin('keys', 'revoke', site.read_key)
    const res = await statsOf(e.query, 'live', site.read_key)
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unknown_read_key')

    const extra = JSON.parse(await admin('keys', 'create', 'live', '--write', '--json')).key as string
    await admin('keys', 'revoke', site.write_key)
    const refused = await eventually(
      async () => {
        const r = await postBatch(e.edge, site.write_key, page(`rev-${Math.random()}`))
        return { status: r.status, code: ((await r.json()) as { error?: { code: string } }).error?.code }
      },
      (r) => r.status === 401,
      within,
      200,
    )
    expect(refused).toEqual({ status: 401, code: 'revoked_write_key' })
    expect(
      await eventually(
        async () => (await postBatch(e.edge, extra, page('extra-1'))).status,
        (s) => s === 200,
        within,
        200,
      ),
    ).toBe(200)
  }, 60_000)
})
