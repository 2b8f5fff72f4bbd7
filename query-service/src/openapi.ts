import { ERROR_CODES } from '@sightline/contracts'
import * as z from 'zod'
import { servedResponse } from './http/answer-meta.ts'
import { IngestQuerySchema, IngestResponseSchema } from './http/ingest-route.ts'
import { KeySitesResponseSchema } from './http/key-sites.ts'
import { PersonQuerySchema, PersonResponseSchema } from './http/person-route.ts'
import { SqlRequestSchema, SqlResponseSchema } from './http/sql-route.ts'
import type { AnyInsight } from './insights/define.ts'
import { INSIGHTS } from './insights/registry.ts'

// The document is generated from the registry: each kind's parameter and response schemas
// become its GET path, its variant of the query spec and its response component. A test
// checks real responses against the same schemas, so the document cannot drift from the code.

export const ErrorResponseSchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES as [string, ...string[]]),
    message: z.string(),
    docs: z.string(),
    request_id: z.string(),
  }),
})

const json = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>

/** `stats` → `Stats`, `top_events` → `TopEvents`: the component name of a kind's response. */
const componentName = (kind: string) =>
  kind
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('')
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

/** Query parameters of a strict zod object, as OpenAPI parameter objects. */
function queryParameters(schema: z.ZodObject) {
  const shape = json(schema) as { properties?: Record<string, unknown>; required?: string[] }
  return Object.entries(shape.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: shape.required?.includes(name) ?? false,
    schema: property,
  }))
}

const errorResponses = Object.fromEntries(
  [
    ['400', 'invalid_query: a parameter is wrong (the message names it)'],
    ['401', 'missing_read_key or unknown_read_key'],
    ['403', 'forbidden_site: the key may not read this site'],
    ['422', 'query_too_large: the query hit the memory or result-row limit'],
    [
      '429',
      'rate_limited: too many failed read-key attempts from this address, or too many requests in flight for this read key; see Retry-After',
    ],
    ['503', 'warehouse_unavailable: retry after Retry-After seconds'],
    ['504', 'query_timeout: the query hit the execution-time limit'],
  ].map(([status, description]) => [
    status,
    { description, content: { 'application/json': { schema: ref('Error') } } },
  ]),
)

const siteParameter = { name: 'site', in: 'path', required: true, schema: { type: 'string' } }

function okResponse(schema: Record<string, unknown>) {
  return { '200': { description: 'OK', content: { 'application/json': { schema } } }, ...errorResponses }
}

function getRoute(insight: AnyInsight) {
  return {
    get: {
      summary: insight.summary,
      security: [{ readKey: [] }],
      parameters: [siteParameter, ...queryParameters(insight.params)],
      responses: okResponse(ref(componentName(insight.kind))),
    },
  }
}

/** One variant of the query spec: `{"kind": "<kind>"}` plus the kind's parameters. */
function specSchema(insight: AnyInsight) {
  return json(insight.params.extend({ kind: z.literal(insight.kind) }))
}

function queryRoute(insights: readonly AnyInsight[]) {
  return {
    post: {
      summary: 'Any insight kind, from a JSON spec {"kind": …, …}',
      security: [{ readKey: [] }],
      parameters: [siteParameter],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { oneOf: insights.map((i) => ref(`${componentName(i.kind)}Spec`)) },
          },
        },
      },
      responses: {
        ...okResponse({ oneOf: insights.map((i) => ref(componentName(i.kind))) }),
        '413': {
          description: 'payload_too_large: the spec exceeds 16 KB',
          content: { 'application/json': { schema: ref('Error') } },
        },
      },
    },
  }
}

/** The query API as OpenAPI 3.1, served at GET /v1/openapi.json. */
export function openApiDocument(insights: readonly AnyInsight[] = INSIGHTS): Record<string, unknown> {
  const paths: Record<string, unknown> = {}
  const schemas: Record<string, unknown> = {}
  for (const insight of insights) {
    paths[`/v1/sites/{site}/${insight.kind}`] = getRoute(insight)
    schemas[componentName(insight.kind)] = json(servedResponse(insight.response))
    schemas[`${componentName(insight.kind)}Spec`] = specSchema(insight)
  }
  paths['/v1/sites/{site}/query'] = queryRoute(insights)
  paths['/v1/sites/{site}/sql'] = {
    post: {
      summary: "Read-only SELECT over this site's events (rewritten to the site's rows; see docs/api.md)",
      security: [{ readKey: [] }],
      parameters: [siteParameter],
      requestBody: { required: true, content: { 'application/json': { schema: ref('SqlRequest') } } },
      responses: okResponse(ref('SqlResponse')),
    },
  }
  paths['/v1/sites'] = {
    get: {
      summary: 'The sites this read key may read (for a sign-in form or a site switcher)',
      security: [{ readKey: [] }],
      responses: okResponse(ref('KeySites')),
    },
  }
  schemas.KeySites = json(KeySitesResponseSchema)
  paths['/v1/sites/{site}/persons/{id}'] = {
    get: {
      summary: 'A person by any of its ids: every merged id, first/last seen, events newest first (paged)',
      security: [{ readKey: [] }],
      parameters: [
        siteParameter,
        {
          name: 'id',
          in: 'path',
          required: true,
          description: 'any id of the person: anonymous id, user id or an aliased previous id',
          schema: { type: 'string', maxLength: 200 },
        },
        ...queryParameters(PersonQuerySchema),
      ],
      responses: {
        ...okResponse(ref('Person')),
        '404': {
          description: 'not_found: nothing is stored under this id on this site',
          content: { 'application/json': { schema: ref('Error') } },
        },
      },
    },
  }
  schemas.Person = json(PersonResponseSchema)
  paths['/v1/sites/{site}/ingest'] = {
    get: {
      summary:
        "The site's ingest health per interval (inserted, duplicates, refused by reason) and each bridge's latest canary lag",
      security: [{ readKey: [] }],
      parameters: [siteParameter, ...queryParameters(IngestQuerySchema)],
      responses: okResponse(ref('Ingest')),
    },
  }
  schemas.Ingest = json(IngestResponseSchema)
  schemas.SqlRequest = json(SqlRequestSchema)
  schemas.SqlResponse = json(SqlResponseSchema)
  schemas.Error = json(ErrorResponseSchema)
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sightline query API',
      version: '0.2.0',
      description:
        'Read analytics for your sites. Every value is bound as a query parameter; `explain=1` returns the SQL.',
      license: { name: 'Apache-2.0' },
    },
    paths,
    components: {
      securitySchemes: {
        readKey: { type: 'http', scheme: 'bearer', description: 'A secret read key scoped to sites' },
      },
      schemas,
    },
  }
}
