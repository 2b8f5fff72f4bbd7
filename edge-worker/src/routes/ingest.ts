import type { Hono } from 'hono'
import { type IngestDeps, ingestHandler } from '../pipeline/ingest.ts'
import type { Surface } from '../pipeline/surface.ts'
import { type AppEnv, fail } from '../respond.ts'
import { nativeBatch, nativeTrack } from '../surfaces/native.ts'

export interface SurfaceRoute {
  method: 'GET' | 'POST'
  path: string
  surface: Surface
}

/** Every ingestion surface and where it listens. Compatibility APIs add their routes here. */
export const SURFACE_ROUTES: SurfaceRoute[] = [
  { method: 'POST', path: '/v1/batch', surface: nativeBatch },
  { method: 'POST', path: '/v1/track', surface: nativeTrack },
]

export function registerIngestRoutes(app: Hono<AppEnv>, deps: IngestDeps, routes = SURFACE_ROUTES): void {
  for (const route of routes) {
    const handler = ingestHandler(route.surface, deps)
    if (route.method === 'POST') app.post(route.path, handler)
    else app.get(route.path, handler)
  }
  const allowed = new Map<string, Set<string>>()
  for (const route of routes)
    allowed.set(route.path, (allowed.get(route.path) ?? new Set()).add(route.method))
  for (const [path, methods] of allowed) {
    app.all(path, (c) => {
      c.header('allow', [...methods].join(', '))
      return fail(
        c,
        'method_not_allowed',
        `${c.req.method} is not allowed here; use ${[...methods].join(' or ')}`,
      )
    })
  }
}
