import { createHash } from 'node:crypto'
import type {
  Goal,
  GoalInput,
  MetadataSnapshot,
  ReadKeyInfo,
  Refusal,
  Result,
  SavedQuery,
  SiteStore,
  StoreResult,
} from '../port.ts'
import { DEFAULT_WORKSPACE, type Site, SiteSchema } from '../site.ts'
import type { Queryable, Sql } from './client.ts'

export const readKeyHash = (key: string) => createHash('sha256').update(key).digest('hex')
const keyId = (hash: string) => hash.slice(0, 12)

const SITE_COLUMNS = `s.site_id, s.workspace_id, s.name, s.time_zone, s.retention_days, s.allowed_origins,
  s.rate_per_key_per_minute, s.rate_per_ip_per_minute, s.keep_ip, s.cookieless, s.block_bots,
  s.events_per_minute,
  coalesce((SELECT array_agg(w.key ORDER BY w.seq) FROM write_keys w
            WHERE w.site_id = s.site_id AND w.revoked_at IS NULL), '{}') AS write_keys,
  coalesce((SELECT array_agg(w.key ORDER BY w.seq) FROM write_keys w
            WHERE w.site_id = s.site_id AND w.revoked_at IS NOT NULL), '{}') AS revoked_keys`

interface SiteRow {
  site_id: string
  workspace_id: string
  name: string
  time_zone: string
  retention_days: number
  allowed_origins: string[]
  rate_per_key_per_minute: number
  rate_per_ip_per_minute: number
  keep_ip: boolean
  cookieless: boolean
  block_bots: boolean
  events_per_minute: number
  write_keys: string[]
  revoked_keys: string[]
}

function toSite(r: SiteRow): Site {
  return SiteSchema.parse({
    site_id: r.site_id,
    workspace_id: r.workspace_id,
    name: r.name,
    time_zone: r.time_zone,
    retention_days: r.retention_days,
    allowed_origins: r.allowed_origins,
    rate_limit: {
      per_key_per_minute: r.rate_per_key_per_minute,
      per_ip_per_minute: r.rate_per_ip_per_minute,
    },
    privacy: { keep_ip: r.keep_ip, cookieless: r.cookieless },
    block_bots: r.block_bots,
    events_per_minute: r.events_per_minute,
    write_keys: r.write_keys,
    revoked_keys: r.revoked_keys,
  })
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v))
const toReadKey = (r: Record<string, unknown>): ReadKeyInfo => ({
  key_id: String(r.key_id),
  site_id: String(r.site_id),
  created_at: iso(r.created_at),
  revoked: r.revoked_at !== null,
})
const toGoal = (r: Record<string, unknown>): Goal => ({
  goal_id: Number(r.goal_id),
  site_id: String(r.site_id),
  name: String(r.name),
  event_name: (r.event_name as string | null) ?? null,
  page_path: (r.page_path as string | null) ?? null,
  created_at: iso(r.created_at),
})
const toQuery = (r: Record<string, unknown>): SavedQuery => ({
  query_id: Number(r.query_id),
  site_id: String(r.site_id),
  name: String(r.name),
  spec: r.spec as Record<string, unknown>,
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
})

const refuse = (reason: Refusal['reason'], message: string): Refusal => ({ ok: false, reason, message })
const isUniqueViolation = (err: unknown) => (err as { code?: string })?.code === '23505'
const isCheckViolation = (err: unknown) =>
  ['23514', '23502', '22001'].includes((err as { code?: string })?.code ?? '')

export interface SqlStoreOptions {
  /**
   * Act for this workspace only: every statement runs as the sightline_tenant role with
   * row-level security (migration 0002) limiting it to the workspace's rows. Unset: the
   * owner's view of every workspace (the admin path).
   */
  workspace?: string
}

/** The site store over PostgreSQL; the same SQL on PGlite and on a server. Migrate first. */
export function sqlSiteStore(sql: Sql, options: SqlStoreOptions = {}): SiteStore {
  const scope = options.workspace

  /** Every call is one transaction; scoped ones drop to the tenant role inside it. */
  function run<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return sql.transaction(async (tx) => {
      if (scope !== undefined) {
        await tx.query(`SELECT set_config('sightline.workspace', $1, true)`, [scope])
        await tx.query('SET LOCAL ROLE sightline_tenant')
      }
      return fn(tx)
    })
  }

  async function sitesWhere(q: Queryable, where: string, params: unknown[]): Promise<Site[]> {
    const { rows } = await q.query<SiteRow>(
      `SELECT ${SITE_COLUMNS} FROM sites s ${where} ORDER BY s.seq`,
      params,
    )
    return rows.map(toSite)
  }

  async function write(
    input: Site,
    mode: 'create' | 'update',
    readKeys: readonly string[] = [],
  ): Promise<StoreResult> {
    const parsed = SiteSchema.safeParse(scope === undefined ? input : { ...input, workspace_id: scope })
    if (!parsed.success) return refuse('invalid', parsed.error.issues[0]?.message ?? 'invalid site')
    const site = parsed.data
    try {
      return await run(async (q): Promise<StoreResult> => {
        const existing = await q.query<{ workspace_id: string }>(
          'SELECT workspace_id FROM sites WHERE site_id = $1 FOR UPDATE',
          [site.site_id],
        )
        if (mode === 'create' && existing.rows.length > 0)
          return refuse('conflict', `site ${site.site_id} exists`)
        if (mode === 'update' && existing.rows.length === 0)
          return refuse('not_found', `no site ${site.site_id}`)
        const keys = [...site.write_keys, ...site.revoked_keys]
        const clash = await q.query<{ site_id: string }>(
          'SELECT site_id FROM write_keys WHERE key = ANY($1) AND site_id <> $2 LIMIT 1',
          [keys, site.site_id],
        )
        if (clash.rows[0]) {
          return refuse('conflict', `a write key of ${site.site_id} belongs to ${clash.rows[0].site_id}`)
        }
        const values = [
          site.site_id,
          site.workspace_id,
          site.name,
          site.time_zone,
          site.retention_days,
          site.allowed_origins,
          site.rate_limit.per_key_per_minute,
          site.rate_limit.per_ip_per_minute,
          site.privacy.keep_ip,
          site.privacy.cookieless,
          site.block_bots,
          site.events_per_minute,
        ]
        if (mode === 'create') {
          if (scope === undefined) {
            await q.query('INSERT INTO workspaces (workspace_id) VALUES ($1) ON CONFLICT DO NOTHING', [
              site.workspace_id,
            ])
          }
          await q.query(
            `INSERT INTO sites (site_id, workspace_id, name, time_zone, retention_days, allowed_origins,
               rate_per_key_per_minute, rate_per_ip_per_minute, keep_ip, cookieless, block_bots,
               events_per_minute)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
            values,
          )
        } else {
          await q.query(
            `UPDATE sites SET workspace_id = $2, name = $3, time_zone = $4, retention_days = $5,
               allowed_origins = $6, rate_per_key_per_minute = $7, rate_per_ip_per_minute = $8,
               keep_ip = $9, cookieless = $10, block_bots = $11, events_per_minute = $12,
               updated_at = now()
             WHERE site_id = $1`,
            values,
          )
        }
        await q.query('DELETE FROM write_keys WHERE site_id = $1 AND NOT (key = ANY($2))', [
          site.site_id,
          keys,
        ])
        for (const key of site.write_keys) {
          await q.query(
            `INSERT INTO write_keys (key, site_id, workspace_id) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET revoked_at = NULL`,
            [key, site.site_id, site.workspace_id],
          )
        }
        for (const key of site.revoked_keys) {
          await q.query(
            `INSERT INTO write_keys (key, site_id, workspace_id, revoked_at) VALUES ($1, $2, $3, now())
             ON CONFLICT (key) DO UPDATE SET revoked_at = coalesce(write_keys.revoked_at, now())`,
            [key, site.site_id, site.workspace_id],
          )
        }
        for (const key of readKeys) await insertReadKey(q, site.site_id, key)
        const [stored] = await sitesWhere(q, 'WHERE s.site_id = $1', [site.site_id])
        return { ok: true, site: stored! }
      })
    } catch (err) {
      if (isUniqueViolation(err)) return refuse('conflict', `a key of ${site.site_id} is taken`)
      if (isCheckViolation(err)) return refuse('invalid', (err as Error).message)
      throw err
    }
  }

  async function insertReadKey(q: Queryable, siteId: string, key: string): Promise<ReadKeyInfo | undefined> {
    const hash = readKeyHash(key)
    const { rows } = await q.query(
      `INSERT INTO read_keys (key_hash, key_id, site_id, workspace_id)
       SELECT $1, $2, site_id, workspace_id FROM sites WHERE site_id = $3
       RETURNING key_id, site_id, created_at, revoked_at`,
      [hash, keyId(hash), siteId],
    )
    return rows[0] ? toReadKey(rows[0]) : undefined
  }

  /** Inserts into a site's child table, its workspace taken from the site row. */
  async function childOfSite<T>(
    fn: () => Promise<T | undefined>,
    siteId: string,
    what: string,
  ): Promise<Result<T>> {
    try {
      const value = await fn()
      return value === undefined ? refuse('not_found', `no site ${siteId}`) : { ok: true, value }
    } catch (err) {
      if (isUniqueViolation(err)) return refuse('conflict', `${what} exists`)
      if (isCheckViolation(err)) return refuse('invalid', `${what}: ${(err as Error).message}`)
      throw err
    }
  }

  return {
    // Tests reach the same connection through it (PGlite allows one per database).
    [Symbol.for('sightline.metadata.sql')]: sql,
    list: () => run((q) => sitesWhere(q, '', [])),
    get: async (id) => (await run((q) => sitesWhere(q, 'WHERE s.site_id = $1', [id])))[0],
    byWriteKey: async (key) =>
      (
        await run((q) =>
          sitesWhere(q, 'WHERE s.site_id = (SELECT site_id FROM write_keys WHERE key = $1)', [key]),
        )
      )[0],
    create: (site, readKeys) => write(site, 'create', readKeys),
    update: (site) => write(site, 'update'),

    addReadKey: (siteId, key) =>
      childOfSite(() => run((q) => insertReadKey(q, siteId, key)), siteId, 'that read key'),
    readKeys: (siteId) =>
      run(async (q) =>
        (
          await q.query(
            'SELECT key_id, site_id, created_at, revoked_at FROM read_keys WHERE site_id = $1 ORDER BY seq',
            [siteId],
          )
        ).rows.map(toReadKey),
      ),
    revokeReadKey: (keyOrId) =>
      run(async (q): Promise<Result<ReadKeyInfo>> => {
        const { rows } = await q.query(
          `UPDATE read_keys SET revoked_at = coalesce(revoked_at, now())
           WHERE key_hash = $1 OR key_id = $2
           RETURNING key_id, site_id, created_at, revoked_at`,
          [readKeyHash(keyOrId), keyOrId],
        )
        return rows[0] ? { ok: true, value: toReadKey(rows[0]) } : refuse('not_found', 'no such read key')
      }),
    resolveReadKey: async (key) => {
      const { rows } = await run((q) =>
        q.query<{ site_id: string }>(
          'SELECT site_id FROM read_keys WHERE key_hash = $1 AND revoked_at IS NULL',
          [readKeyHash(key)],
        ),
      )
      return rows.length === 0 ? undefined : { siteIds: rows.map((r) => r.site_id) }
    },

    createGoal: (goal: GoalInput) =>
      childOfSite(
        () =>
          run(async (q) => {
            const { rows } = await q.query(
              `INSERT INTO goals (site_id, workspace_id, name, event_name, page_path)
               SELECT site_id, workspace_id, $2, $3, $4 FROM sites WHERE site_id = $1 RETURNING *`,
              [goal.site_id, goal.name, goal.event_name ?? null, goal.page_path ?? null],
            )
            return rows[0] ? toGoal(rows[0]) : undefined
          }),
        goal.site_id,
        `goal "${goal.name}"`,
      ),
    listGoals: (siteId) =>
      run(async (q) =>
        (await q.query('SELECT * FROM goals WHERE site_id = $1 ORDER BY goal_id', [siteId])).rows.map(toGoal),
      ),
    deleteGoal: (siteId, goalId) =>
      run(async (q): Promise<Result<Goal>> => {
        const { rows } = await q.query('DELETE FROM goals WHERE site_id = $1 AND goal_id = $2 RETURNING *', [
          siteId,
          goalId,
        ])
        return rows[0]
          ? { ok: true, value: toGoal(rows[0]) }
          : refuse('not_found', `no goal ${goalId} on ${siteId}`)
      }),

    saveQuery: (query) =>
      childOfSite(
        () =>
          run(async (q) => {
            const { rows } = await q.query(
              `INSERT INTO saved_queries (site_id, workspace_id, name, spec)
               SELECT site_id, workspace_id, $2, $3::jsonb FROM sites WHERE site_id = $1
               ON CONFLICT (site_id, name) DO UPDATE SET spec = EXCLUDED.spec, updated_at = now()
               RETURNING *`,
              [query.site_id, query.name, JSON.stringify(query.spec)],
            )
            return rows[0] ? toQuery(rows[0]) : undefined
          }),
        query.site_id,
        `query "${query.name}"`,
      ),
    listQueries: (siteId) =>
      run(async (q) =>
        (
          await q.query('SELECT * FROM saved_queries WHERE site_id = $1 ORDER BY query_id', [siteId])
        ).rows.map(toQuery),
      ),
    deleteQuery: (siteId, queryId) =>
      run(async (q): Promise<Result<SavedQuery>> => {
        const { rows } = await q.query(
          'DELETE FROM saved_queries WHERE site_id = $1 AND query_id = $2 RETURNING *',
          [siteId, queryId],
        )
        return rows[0]
          ? { ok: true, value: toQuery(rows[0]) }
          : refuse('not_found', `no saved query ${queryId} on ${siteId}`)
      }),

    version: async () => {
      const { rows } = await run((q) =>
        q.query<{ v: string }>('SELECT version::text AS v FROM metadata_version'),
      )
      return Number(rows[0]?.v ?? 0)
    },
    snapshot: () =>
      run(async (q): Promise<MetadataSnapshot> => {
        const v = await q.query<{ v: string }>('SELECT version::text AS v FROM metadata_version')
        const sites = await sitesWhere(q, '', [])
        const keys = await q.query<{ key_hash: string; site_id: string }>(
          'SELECT key_hash, site_id FROM read_keys WHERE revoked_at IS NULL',
        )
        return { version: Number(v.rows[0]?.v ?? 0), sites, readKeys: keys.rows }
      }),
    close: () => sql.close(),
  }
}

export { DEFAULT_WORKSPACE }
