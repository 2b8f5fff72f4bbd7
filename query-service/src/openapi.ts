import { ERROR_CODES } from '@sightline/contracts'
import * as z from 'zod'
import { INTERVALS } from './planner/index.ts'
import { RejectedQuery, StatsQuery, TrendsQuery } from './routes/params.ts'

// Response shapes as schemas: the OpenAPI document is generated from them, and a test checks
// real responses against them, so the published document cannot drift from the code.
const isoInstant = z.string().describe('ISO 8601 instant, UTC')

export const StatsResponseSchema = z.object({
  site: z.string(),
  from: isoInstant,
  to: isoInstant,
  include_bots: z.boolean(),
  events: z.number().int(),
  pageviews: z.number().int(),
  visitors: z.number().int().describe('distinct persons: user_id when known, else anonymous_id'),
})

export const TrendsResponseSchema = z.object({
  site: z.string(),
  event: z.string().nullable(),
  interval: z.enum(INTERVALS),
  tz: z.string(),
  from: isoInstant,
  to: isoInstant,
  include_bots: z.boolean(),
  buckets: z.array(z.object({ bucket: isoInstant, count: z.number().int(), visitors: z.number().int() })),
})

export const RejectedResponseSchema = z.object({
  site: z.string(),
  from: isoInstant,
  to: isoInstant,
  total: z.number().int(),
  groups: z.array(
    z.object({
      stage: z.string(),
      code: z.string(),
      count: z.number().int(),
      last_at: isoInstant,
      example_message: z.string(),
    }),
  ),
})

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
    ['503', 'warehouse_unavailable: retry after Retry-After seconds'],
  ].map(([status, description]) => [
    status,
    { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  ]),
)

function siteRoute(summary: string, query: z.ZodObject, response: string) {
  return {
    get: {
      summary,
      security: [{ readKey: [] }],
      parameters: [
        { name: 'site', in: 'path', required: true, schema: { type: 'string' } },
        ...queryParameters(query),
      ],
      responses: {
        '200': {
          description: 'OK',
          content: { 'application/json': { schema: { $ref: `#/components/schemas/${response}` } } },
        },
        ...errorResponses,
      },
    },
  }
}

/** The query API as OpenAPI 3.1, served at GET /v1/openapi.json. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sightline query API',
      version: '0.1.0',
      description:
        'Read analytics for your sites. Every value is bound as a query parameter; `explain=1` returns the SQL.',
      license: { name: 'Apache-2.0' },
    },
    paths: {
      '/v1/sites/{site}/stats': siteRoute(
        'Events, pageviews and unique visitors in a range',
        StatsQuery,
        'Stats',
      ),
      '/v1/sites/{site}/trends': siteRoute(
        'Counts per time bucket, empty buckets included',
        TrendsQuery,
        'Trends',
      ),
      '/v1/sites/{site}/rejected': siteRoute('Refused events by stage and reason', RejectedQuery, 'Rejected'),
    },
    components: {
      securitySchemes: {
        readKey: { type: 'http', scheme: 'bearer', description: 'A secret read key scoped to sites' },
      },
      schemas: {
        Stats: json(StatsResponseSchema),
        Trends: json(TrendsResponseSchema),
        Rejected: json(RejectedResponseSchema),
        Error: json(ErrorResponseSchema),
      },
    },
  }
}
