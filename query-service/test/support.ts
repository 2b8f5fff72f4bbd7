import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrate, openWarehouse, type ReadLaneConfig, type Warehouse } from '@sightline/warehouse'
import { staticReadKeys } from '../src/adapters/read-keys-file.ts'
import { type App, type AppDeps, createApp } from '../src/app.ts'
import { socketAddress } from '../src/http/auth.ts'
import { FIXTURE_NOW, fixtureEvents } from './fixture.ts'

export const KEY_A = 'rk_test_site_a_only_0001'
export const KEY_B = 'rk_test_site_b_only_0001'
export const KEY_BOTH = 'rk_test_both_sites_00001'
export const HOSTILE_SITE = "x' OR 1=1 --"
/** A key whose only site is the hostile string itself: proves the string is bound, not spliced. */
export const KEY_HOSTILE = 'rk_test_hostile_site_001'

export const keys = staticReadKeys({
  read_keys: [
    { key: KEY_A, sites: ['site_a'] },
    { key: KEY_B, sites: ['site_b'] },
    { key: KEY_BOTH, sites: ['site_a', 'site_b'] },
    { key: KEY_HOSTILE, sites: [HOSTILE_SITE] },
  ],
})

export interface TestEnv {
  app: App
  warehouse: Warehouse
  close(): Promise<void>
}

/**
 * chdb allows one data path per process and vitest runs each file in its own process, so
 * each test file calls this once (beforeAll): its own temp dir and a uniquely named database.
 */
export async function openTestEnv(
  options: {
    seed?: boolean
    reads?: ReadLaneConfig
    /** App deps over the defaults; a function receives the opened warehouse (to wrap it). */
    app?: Partial<AppDeps> | ((warehouse: Warehouse) => Partial<AppDeps>)
  } = {},
): Promise<TestEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'sightline-qs-'))
  const warehouse = await openWarehouse({
    mode: 'embedded',
    path: dir,
    database: `qs_${randomBytes(6).toString('hex')}`,
    ...(options.reads ? { reads: options.reads } : {}),
  })
  await migrate(warehouse)
  if (options.seed !== false) await warehouse.insert('events', fixtureEvents(), { dedupToken: 'fixture' })
  const app = createApp({
    warehouse,
    keys,
    clock: () => FIXTURE_NOW,
    // In-process requests have no socket; `x-test-client` lets a test act as several addresses.
    clientAddress: (c) => c.req.header('x-test-client') ?? socketAddress(c),
    ...(typeof options.app === 'function' ? options.app(warehouse) : options.app),
  })
  return {
    app,
    warehouse,
    async close() {
      await warehouse.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export function get(app: App, path: string, key?: string): Promise<Response> {
  return Promise.resolve(
    app.request(path, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } }),
  )
}

export function post(app: App, path: string, key: string | undefined, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (key !== undefined) headers.authorization = `Bearer ${key}`
  const payload = typeof body === 'string' ? body : JSON.stringify(body)
  return Promise.resolve(app.request(path, { method: 'POST', headers, body: payload }))
}

export interface ErrorJson {
  error: { code: string; message: string; docs: string; request_id: string }
}
