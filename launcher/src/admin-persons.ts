// The admin API's person routes (docs/persons.md#deletion-and-export): export everything
// stored about a person as NDJSON, delete it, and follow the deletion. Admin token only: a
// read key can read a person's events but never erase or bulk-export them.
import { HttpError } from '@sightline/http'
import type { SiteStore } from '@sightline/metadata'
import {
  deletionProgress,
  exportPersonRows,
  personIdsOf,
  startPersonDeletion,
  type Warehouse,
} from '@sightline/warehouse'
import type { Context, Hono } from 'hono'
import { stream } from 'hono/streaming'

/** Ids per deletion-progress request (repeated `id=`); a person's export lists theirs. */
export const MAX_PROGRESS_IDS = 10_000
const MAX_ID_LENGTH = 200

export interface PersonAdminDeps {
  store: SiteStore
  /** Absent when `npm run admin` runs without the stack: persons need the running hub. */
  warehouse?: Warehouse
}

// biome-ignore lint/suspicious/noExplicitAny: the admin app's env is the caller's.
export function mountPersonAdmin(app: Hono<any>, deps: PersonAdminDeps): void {
  async function target(c: Context) {
    const site = c.req.param('site')!
    if (!(await deps.store.get(site))) throw new HttpError('not_found', `no site ${site}`)
    if (!deps.warehouse) {
      throw new HttpError(
        'warehouse_unavailable',
        'persons live in the warehouse: start the stack (npm start) and run the command again',
        { retryAfterS: 5 },
      )
    }
    return { site, warehouse: deps.warehouse }
  }
  const idOf = (c: Context) => {
    const id = c.req.param('id')!
    if (id.length === 0 || id.length > MAX_ID_LENGTH)
      throw new HttpError('invalid_request', `the id must be 1–${MAX_ID_LENGTH} characters`)
    return id
  }

  app.get('/admin/v1/sites/:site/persons/:id/export', async (c) => {
    const { site, warehouse } = await target(c)
    const person = await personIdsOf(warehouse, site, idOf(c))
    c.header('content-type', 'application/x-ndjson; charset=utf-8')
    c.header('content-disposition', `attachment; filename="person-${site}.ndjson"`)
    return stream(c, async (out) => {
      for await (const line of exportPersonRows(warehouse, site, person)) await out.write(line)
    })
  })

  // 202: the deletion is queued as ClickHouse mutations; the answer says how far it got.
  app.delete('/admin/v1/sites/:site/persons/:id', async (c) => {
    const { site, warehouse } = await target(c)
    const person = await personIdsOf(warehouse, site, idOf(c))
    await startPersonDeletion(warehouse, site, person.ids)
    const progress = await deletionProgress(warehouse, site, person.ids)
    return c.json({ site, person: person.person, ids: person.ids, ...progress }, 202)
  })

  // The ids come back from the DELETE answer: once the overrides are gone, an id alone no
  // longer says who else was merged with it.
  app.get('/admin/v1/sites/:site/persons-deletion', async (c) => {
    const { site, warehouse } = await target(c)
    const ids = c.req.queries('id') ?? []
    if (
      ids.length === 0 ||
      ids.length > MAX_PROGRESS_IDS ||
      ids.some((id) => id.length === 0 || id.length > MAX_ID_LENGTH)
    )
      throw new HttpError('invalid_request', `pass the deleted ids as id=…&id=… (1–${MAX_PROGRESS_IDS})`)
    return c.json({ site, ids, ...(await deletionProgress(warehouse, site, ids)) })
  })
}
