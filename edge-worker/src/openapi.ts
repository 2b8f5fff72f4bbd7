import { ERROR_CODES } from '@sightline/contracts'
import { CLIENT_CONFIG_ROUTES } from './routes/client-config.ts'
import { HEALTH_ROUTES } from './routes/health.ts'
import { SURFACE_ROUTES } from './routes/ingest.ts'

/**
 * The ingest API as OpenAPI 3.1, served by the edge at GET /v1/openapi.json. Built from the
 * same route tables the app registers (SURFACE_ROUTES, CLIENT_CONFIG_ROUTES, the script
 * routes), and a test checks it lists exactly the routes the app serves, so it cannot drift.
 * Bodies are described by dialect (docs/edge.md, docs/compat.md), not as one schema: each
 * compatible API accepts what its own clients send.
 */

const SCRIPT_ROUTES = [
  { method: 'GET', path: '/s.js', summary: 'The browser SDK (cached an hour, ETag)' },
  { method: 'GET', path: '/s/:file', summary: 'A browser SDK plugin' },
  { method: 'GET', path: '/s/:version/:file', summary: 'A version-pinned SDK file (immutable)' },
] as const

/** One line per path; a path without one fails the OpenAPI test. */
const SUMMARIES: Record<string, string> = {
  '/v1/batch': 'A batch of events: native `{batch, sent_at}` or Segment/RudderStack (dialect by field names)',
  '/v1/track': 'One track event (native or Segment/RudderStack)',
  '/v1/page': 'Segment/RudderStack page()',
  '/v1/identify': 'Segment/RudderStack identify()',
  '/v1/alias': 'Segment/RudderStack alias()',
  '/v1/group': 'Segment/RudderStack group()',
  '/v1/screen': 'Segment/RudderStack screen()',
  '/v1/t': "analytics.js's short path for track()",
  '/v1/p': "analytics.js's short path for page()",
  '/v1/i': "analytics.js's short path for identify()",
  '/v1/g': "analytics.js's short path for group()",
  '/v1/a': "analytics.js's short path for alias()",
  '/v1/s': "analytics.js's short path for screen()",
  '/v1/b': 'Browser beacon (text/plain, key in body or ?k=); also analytics.js batches',
  '/beacon/v1/batch': "RudderStack's sendBeacon transport (?writeKey=)",
  '/v1/p.gif': 'Pixel for pages without JavaScript (1×1 GIF)',
  '/e': 'PostHog capture',
  '/capture': 'PostHog capture',
  '/batch': 'PostHog batch capture',
  '/i/v0/e': 'PostHog capture (posthog-js)',
  '/s': 'PostHog session recordings: accepted, counted as refused (unsupported_event)',
  '/array/:token/config': "posthog-js's remote config (no flags, no recordings)",
  '/array/:token/config.js': "posthog-js's remote config as a script",
  '/flags': 'PostHog feature flags: always none',
  '/decide': 'PostHog feature flags (older clients): always none',
  '/v1/projects/:writeKey/settings': "analytics.js's project settings: Segment.io points back at this edge",
  '/sourceConfig': "RudderStack's source config: one source, no device-mode destinations",
  '/v1/openapi.json': 'This document',
}

/** `/array/:token/config` → `/array/{token}/config`; a trailing slash shares its path's summary. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z]+)(\{[^}]*\})?/g, '{$1}')
}

function summaryOf(path: string): string | undefined {
  return SUMMARIES[path] ?? SUMMARIES[path.replace(/\/$/, '')]
}

const errorRef = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }

function operation(method: string, path: string, summary: string | undefined) {
  const params = [...path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }))
  return {
    summary: summary ?? '',
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(method === 'POST'
      ? { security: [{ writeKeyBasic: [] }, { writeKeyBearer: [] }, { writeKeyHeader: [] }, {}] }
      : {}),
    responses: {
      '200': { description: 'Accepted (durable), in the dialect of the API; beacons answer 204' },
      '4XX': { description: 'The error contract (docs/errors.md)', ...errorRef },
      '503': { description: 'No bridge accepted the batch; retry after Retry-After', ...errorRef },
    },
  }
}

/** Every route the edge serves, as [method, path] pairs. */
export function documentedRoutes(): Array<{ method: string; path: string }> {
  return [
    ...SURFACE_ROUTES.map((r) => ({ method: r.method, path: r.path })),
    ...CLIENT_CONFIG_ROUTES,
    ...SCRIPT_ROUTES,
    ...HEALTH_ROUTES,
    { method: 'GET', path: '/v1/openapi.json' },
  ]
}

export function ingestOpenApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of documentedRoutes()) {
    const script = [...SCRIPT_ROUTES, ...HEALTH_ROUTES].find((s) => s.path === route.path)
    const key = openApiPath(route.path)
    paths[key] ??= {}
    paths[key][route.method.toLowerCase()] = operation(
      route.method,
      route.path,
      script?.summary ?? summaryOf(route.path),
    )
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sightline ingest API (edge)',
      version: '0.1.0',
      description:
        'Send events: the native API, the browser beacon and pixel, and the Segment, RudderStack and PostHog APIs their own client libraries use unmodified. See docs/edge.md and docs/compat.md.',
      license: { name: 'Apache-2.0' },
    },
    paths,
    components: {
      securitySchemes: {
        writeKeyBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'The write key as user, empty password (Segment, RudderStack)',
        },
        writeKeyBearer: { type: 'http', scheme: 'bearer', description: 'The write key' },
        writeKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Write-Key' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'docs', 'request_id'],
              properties: {
                code: { enum: [...ERROR_CODES] },
                message: { type: 'string' },
                docs: { type: 'string' },
                request_id: { type: 'string' },
              },
            },
          },
        },
      },
    },
  }
}
