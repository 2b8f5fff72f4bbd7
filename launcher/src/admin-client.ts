// How `npm run admin` reaches the admin API: the running hub's listener when there is one
// (PGlite is one process's database, and the hub's readers must hear of the change), else
// the same app in-process over the store opened directly (stack stopped, or --database-url):
// the data directory's own database, the one sightline.json records (metadata.ts).
import { existsSync, readFileSync } from 'node:fs'
import type { SiteStore } from '@sightline/metadata'
import { openSiteStore, redactUrl } from '@sightline/metadata/sql'
import { createAdminApp } from './admin-api.ts'
import type { AdminFile } from './admin-listener.ts'
import { bridgeSitesToken } from './bridge-env.ts'
import { edgeSitesToken } from './edge-env.ts'
import { metadataUrl, openInstallStore } from './metadata.ts'
import { type DataLayout, type InstallState, token } from './workspace.ts'

/** JSON answers parsed; anything else (a person's NDJSON export) as text. */
async function bodyOf(res: Response): Promise<unknown> {
  return (res.headers.get('content-type') ?? '').includes('application/json') ? res.json() : res.text()
}

export interface AdminClient {
  /** Where the calls go, for messages. */
  via: string
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>
  close(): Promise<void>
}

/** The running hub's admin URL, if one answers (a stale admin.json from a killed hub does not). */
export async function runningAdminUrl(layout: DataLayout, adminToken: string): Promise<string | undefined> {
  if (!existsSync(layout.admin)) return undefined
  try {
    const { url } = JSON.parse(readFileSync(layout.admin, 'utf8')) as AdminFile
    const res = await fetch(`${url}/admin/v1/health`, {
      headers: { authorization: `Bearer ${adminToken}` },
      signal: AbortSignal.timeout(2000),
    })
    return res.ok ? url : undefined
  } catch {
    return undefined
  }
}

/** The data directory's metadata database, for messages: PGlite's directory or the server's URL. */
function where(layout: DataLayout): string {
  const url = metadataUrl(layout)
  return url.startsWith('pglite:') ? url.slice('pglite:'.length) : redactUrl(url)
}

export async function openAdminClient(
  layout: DataLayout,
  state: InstallState,
  options: { databaseUrl?: string } = {},
): Promise<AdminClient> {
  const url = options.databaseUrl ? undefined : await runningAdminUrl(layout, state.admin_token)
  if (url) {
    return {
      via: `the running hub (${url})`,
      async call(method, path, body) {
        const res = await fetch(`${url}${path}`, {
          method,
          headers: { authorization: `Bearer ${state.admin_token}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
        return { status: res.status, body: await bodyOf(res) }
      },
      close: async () => {},
    }
  }
  const store: SiteStore = options.databaseUrl
    ? await openSiteStore(options.databaseUrl)
    : await openInstallStore(layout)
  let version = await store.version()
  const app = createAdminApp({
    store,
    adminToken: state.admin_token,
    edgeToken: edgeSitesToken(state),
    newKey: token,
    onChange: async () => {
      version = await store.version()
    },
    edgeView: () => ({ version, sites: [] }),
    // No bridge follows an admin command; the views are there for the same app's sake.
    bridgeToken: bridgeSitesToken(state),
    bridgeView: () => ({ version, sites: [] }),
  })
  return {
    via: options.databaseUrl ? 'the database at --database-url' : `the metadata database (${where(layout)})`,
    async call(method, path, body) {
      const res = await app.request(path, {
        method,
        headers: { authorization: `Bearer ${state.admin_token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      return { status: res.status, body: await bodyOf(res) }
    },
    close: () => store.close(),
  }
}
