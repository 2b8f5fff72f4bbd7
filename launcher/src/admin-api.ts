// The admin API: sites, settings, keys, goals and saved queries over the site store, and
// person export/deletion over the warehouse (admin-persons.ts). The
// hub serves it on 127.0.0.1 (admin-listener.ts); `npm run admin` calls it — over HTTP while
// the stack runs, in-process on the opened store when it does not (admin-client.ts).
import { timingSafeEqual } from 'node:crypto'
import { HttpError, installErrorHandling, type RequestIdEnv, requestId } from '@sightline/http'
import {
  addSite,
  type Change,
  createKey,
  type Refusal,
  type Result,
  revokeKey,
  rotateKeys,
  SITE_SETTINGS,
  SiteSchema,
  type SiteStore,
  setSetting,
} from '@sightline/metadata'
import type { Warehouse } from '@sightline/warehouse'
import { type Context, Hono } from 'hono'
import { z } from 'zod'
import { mountPersonAdmin } from './admin-persons.ts'

export interface AdminApiDeps {
  store: SiteStore
  /** Full access. */
  adminToken: string
  /** Read-only access to the edge view (GET /admin/v1/edge/sites): what the embedded edge polls. */
  edgeToken: string
  newKey: (prefix: 'wk' | 'rk') => string
  /** Called after every change, before the answer: readers in this process are current when it returns. */
  onChange: () => Promise<unknown>
  /** The version the edge view was built at (the catalog's), so pollers can skip unchanged ones. */
  edgeView: () => { version: number; sites: unknown[] }
  /**
   * Read-only access to the bridge view (GET /admin/v1/bridge/sites): what the bridges of a
   * local cluster follow, since they cannot open the hub's PGlite database.
   */
  bridgeToken: string
  /** Each site's retention, keep_ip and quota, at the catalog's version (answered 304 when unchanged). */
  bridgeView: () => { version: number; sites: unknown[] }
  onBug?: (err: unknown) => void
  /** The warehouse, for the person routes (export, deletion); absent without the running stack. */
  warehouse?: Warehouse
}

const sameToken = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

const CreateSiteBody = SiteSchema.omit({ write_keys: true, revoked_keys: true, workspace_id: true })
  .partial()
  .extend({ site_id: z.string() })
const SetBody = z.object({
  setting: z.enum(SITE_SETTINGS),
  value: z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]),
})
const KeyBody = z.object({ kind: z.enum(['write', 'read']), rotate: z.boolean().default(false) })
const RevokeBody = z.object({ key: z.string().min(1).max(200) })
const GoalBody = z.union([
  z.object({ name: z.string().min(1).max(200), event_name: z.string().min(1).max(200) }),
  z.object({ name: z.string().min(1).max(200), page_path: z.string().min(1).max(2000) }),
])
const QueryBody = z.object({ name: z.string().min(1).max(200), spec: z.record(z.string(), z.unknown()) })

function fail(refusal: Refusal): never {
  const code =
    refusal.reason === 'not_found'
      ? 'not_found'
      : refusal.reason === 'conflict'
        ? 'conflict'
        : 'invalid_request'
  throw new HttpError(code, refusal.message)
}

async function body<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  let raw: unknown
  try {
    raw = await c.req.json()
  } catch {
    throw new HttpError('invalid_json', 'the body must be JSON')
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new HttpError('invalid_request', `${issue?.path.join('.') || 'body'}: ${issue?.message}`)
  }
  return parsed.data
}

const idParam = (c: Context) => {
  const id = Number(c.req.param('id'))
  if (!Number.isSafeInteger(id) || id < 1)
    throw new HttpError('invalid_request', 'the id must be a positive integer')
  return id
}

export function createAdminApp(deps: AdminApiDeps) {
  const { store } = deps
  // The read-only tokens, each good for one GET only: neither holds the admin token's power.
  const readOnly = [
    { role: 'edge', token: deps.edgeToken, path: '/admin/v1/edge/sites' },
    { role: 'bridge', token: deps.bridgeToken, path: '/admin/v1/bridge/sites' },
  ] as const
  const app = new Hono<RequestIdEnv & { Variables: { role: 'admin' | 'edge' | 'bridge' } }>()
  app.use(requestId())
  app.use('/admin/*', async (c, next) => {
    const header = c.req.header('authorization') ?? ''
    const token = /^Bearer (.+)$/.exec(header)?.[1]
    if (!token) throw new HttpError('missing_admin_token', 'send Authorization: Bearer <admin_token>')
    const reader = readOnly.find(
      (r) => sameToken(token, r.token) && c.req.method === 'GET' && c.req.path === r.path,
    )
    if (sameToken(token, deps.adminToken)) c.set('role', 'admin')
    else if (reader) c.set('role', reader.role)
    else throw new HttpError('unknown_admin_token', 'that is not this install’s admin token')
    await next()
  })

  /** A change: answer after this process's readers have it. */
  async function changed(c: Context, change: Change | Result<unknown>, status: 200 | 201 = 200) {
    if (!change.ok) fail(change)
    await deps.onChange()
    return c.json(change, status)
  }
  const siteView = async (siteId: string) => {
    const site = await store.get(siteId)
    if (!site) throw new HttpError('not_found', `no site ${siteId}`)
    return { site, read_keys: await store.readKeys(siteId) }
  }

  app.get('/admin/v1/health', (c) => c.json({ ok: true, version: deps.edgeView().version }))
  app.get('/admin/v1/edge/sites', (c) => c.json(deps.edgeView()))
  app.get('/admin/v1/bridge/sites', (c) => {
    // Every bridge asks every second: an unchanged view costs a 304 and no body.
    const view = deps.bridgeView()
    const etag = `"${view.version}"`
    c.header('etag', etag)
    if (c.req.header('if-none-match') === etag) return c.body(null, 304)
    return c.json(view)
  })
  app.get('/admin/v1/sites', async (c) => {
    const sites = await store.list()
    return c.json({ sites: await Promise.all(sites.map((s) => siteView(s.site_id))) })
  })
  app.post('/admin/v1/sites', async (c) => {
    const { site_id, name, ...settings } = await body(c, CreateSiteBody)
    return changed(c, await addSite(store, site_id, name ?? site_id, deps.newKey, settings), 201)
  })
  app.get('/admin/v1/sites/:site', async (c) => c.json(await siteView(c.req.param('site'))))
  app.patch('/admin/v1/sites/:site', async (c) => {
    const { setting, value } = await body(c, SetBody)
    return changed(c, await setSetting(store, c.req.param('site'), setting, value))
  })
  app.post('/admin/v1/sites/:site/keys', async (c) => {
    const { kind, rotate } = await body(c, KeyBody)
    const site = c.req.param('site')
    return changed(
      c,
      rotate
        ? await rotateKeys(store, site, deps.newKey, kind)
        : await createKey(store, site, kind, deps.newKey),
      201,
    )
  })
  app.post('/admin/v1/keys/revoke', async (c) =>
    changed(c, await revokeKey(store, (await body(c, RevokeBody)).key)),
  )

  app.get('/admin/v1/sites/:site/goals', async (c) => {
    await siteView(c.req.param('site'))
    return c.json({ goals: await store.listGoals(c.req.param('site')) })
  })
  app.post('/admin/v1/sites/:site/goals', async (c) =>
    changed(c, await store.createGoal({ ...(await body(c, GoalBody)), site_id: c.req.param('site') }), 201),
  )
  app.delete('/admin/v1/sites/:site/goals/:id', async (c) =>
    changed(c, await store.deleteGoal(c.req.param('site'), idParam(c))),
  )
  app.get('/admin/v1/sites/:site/queries', async (c) => {
    await siteView(c.req.param('site'))
    return c.json({ queries: await store.listQueries(c.req.param('site')) })
  })
  app.post('/admin/v1/sites/:site/queries', async (c) =>
    changed(c, await store.saveQuery({ ...(await body(c, QueryBody)), site_id: c.req.param('site') }), 201),
  )
  app.delete('/admin/v1/sites/:site/queries/:id', async (c) =>
    changed(c, await store.deleteQuery(c.req.param('site'), idParam(c))),
  )

  mountPersonAdmin(app, { store, ...(deps.warehouse ? { warehouse: deps.warehouse } : {}) })

  installErrorHandling(app, { onBug: (err) => deps.onBug?.(err) })
  return app
}
