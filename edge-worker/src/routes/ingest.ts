import type { Context, Hono } from 'hono'
import { type IngestDeps, ingestHandler } from '../pipeline/ingest.ts'
import type { Surface } from '../pipeline/surface.ts'
import { type AppEnv, fail } from '../respond.ts'
import { pixel } from '../surfaces/pixel.ts'
import { POSTHOG_PATHS, POSTHOG_RECORDING_PATHS, posthog, posthogRecordings } from '../surfaces/posthog.ts'
import {
  batchEither,
  beaconEither,
  SEGMENT_SHORT_PATHS,
  segmentBatch,
  segmentSingle,
  trackEither,
} from '../surfaces/segment.ts'

export interface SurfaceRoute {
  method: 'GET' | 'POST'
  path: string
  surface: Surface
}

/** Every ingestion surface and where it listens. Compatibility APIs add their routes here. */
export const SURFACE_ROUTES: SurfaceRoute[] = [
  // Native and Segment share these two paths; the body's field names pick the dialect.
  { method: 'POST', path: '/v1/batch', surface: batchEither },
  { method: 'POST', path: '/v1/track', surface: trackEither },
  ...(['page', 'identify', 'alias', 'group', 'screen'] as const).map(
    (type): SurfaceRoute => ({ method: 'POST', path: `/v1/${type}`, surface: segmentSingle(type) }),
  ),
  // analytics.js (Segment) and RudderStack's JS SDK post single events to short paths.
  ...SEGMENT_SHORT_PATHS.map(
    ([short, type]): SurfaceRoute => ({ method: 'POST', path: `/v1/${short}`, surface: segmentSingle(type) }),
  ),
  // The native beacon, and analytics.js's batches (content-detected, see beaconEither).
  { method: 'POST', path: '/v1/b', surface: beaconEither },
  // RudderStack's sendBeacon transport (write key in the query string).
  { method: 'POST', path: '/beacon/v1/batch', surface: segmentBatch },
  { method: 'GET', path: '/v1/p.gif', surface: pixel },
  ...POSTHOG_PATHS.map((path): SurfaceRoute => ({ method: 'POST', path, surface: posthog })),
  ...POSTHOG_RECORDING_PATHS.map(
    (path): SurfaceRoute => ({ method: 'POST', path, surface: posthogRecordings }),
  ),
]

export function registerIngestRoutes(app: Hono<AppEnv>, deps: IngestDeps, routes = SURFACE_ROUTES): void {
  const allowed = new Map<string, Set<string>>()
  for (const route of routes)
    allowed.set(route.path, (allowed.get(route.path) ?? new Set()).add(route.method))
  const refuse = (c: Context<AppEnv>, methods: Set<string>) => {
    c.header('allow', [...methods].join(', '))
    return fail(
      c,
      'method_not_allowed',
      `${c.req.method} is not allowed here; use ${[...methods].join(' or ')}`,
    )
  }
  for (const route of routes) {
    const handler = ingestHandler(route.surface, deps)
    const methods = allowed.get(route.path)!
    if (route.method === 'POST') app.post(route.path, handler)
    // Hono answers HEAD with the GET handler minus the body: for the pixel that would record
    // an event per link checker or prefetcher. HEAD is refused instead.
    else app.get(route.path, (c) => (c.req.method === 'HEAD' ? refuse(c, methods) : handler(c)))
  }
  for (const [path, methods] of allowed) app.all(path, (c) => refuse(c, methods))
}
